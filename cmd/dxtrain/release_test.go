package main

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/pki"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/checkpoint"
	"github.com/dxtrain/dxtrain/trainer/loop"
	"github.com/dxtrain/dxtrain/validator"
)

// devCluster is a real `dxtrain dev` process on a free loopback port, with mutual
// TLS from the CA it made under its data directory.
type devCluster struct {
	addr, dataDir, admin string
	pid                  int       // of the dxtrain dev process
	user                 pki.Files // the dev user's certificate
}

// startDev starts `dxtrain dev` from the repository root (where the specs' dataset
// paths resolve) with one agent, or the flags given (--agents 2), and waits for it
// to write the admin token.
func startDev(t *testing.T, flags ...string) *devCluster {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hostPort := l.Addr().String()
	l.Close()
	dataDir := t.TempDir()
	logf, err := os.Create(filepath.Join(dataDir, "dev.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, append([]string{"dev", "--data-dir", dataDir, "--http-addr", hostPort, "--agents", "1"}, flags...)...)
	done := startBackground(t, cmd, logf, "dxtrain dev")
	deadline := time.Now().Add(30 * time.Second)
	for {
		tok, err := os.ReadFile(filepath.Join(dataDir, "token"))
		if err == nil && strings.HasSuffix(string(tok), "\n") {
			return &devCluster{addr: hostPort, dataDir: dataDir, admin: strings.TrimSpace(string(tok)), user: devUserFiles(dataDir), pid: cmd.Process.Pid}
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dataDir, "dev.log"))
			t.Fatalf("dxtrain dev exited before writing its token:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("dxtrain dev wrote no token within 30s")
		}
	}
}

// kekEnv names the key-encryption key dxtrain dev encrypts its store under.
func (c *devCluster) kekEnv() string {
	return "DXTRAIN_STORE_KEK_FILE=" + filepath.Join(c.dataDir, "store.kek")
}

// store opens the cluster's object store as its processes do, under its KEK.
func (c *devCluster) store(t *testing.T) storage.Store {
	t.Helper()
	kek, err := storage.LoadKEKFile(filepath.Join(c.dataDir, "store.kek"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(t.Context(), "file://"+filepath.Join(c.dataDir, "store"), storage.Config{KEK: kek})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// as runs the binary from the repository root with the cluster's address, the
// object store and the given token in its environment.
func (c *devCluster) as(t *testing.T, token string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = "../.."
	cmd.Env = append(c.env(), "DXTRAIN_TOKEN="+token, "DXTRAIN_STORE=file://"+filepath.Join(c.dataDir, "store"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// devUserFiles are the user certificate `dxtrain dev` issues.
func devUserFiles(dataDir string) pki.Files {
	dir := filepath.Join(dataDir, "tls")
	return pki.Files{CA: filepath.Join(dir, "ca", pki.CACertFile),
		Cert: filepath.Join(dir, "dev-client-dev-user.pem"), Key: filepath.Join(dir, "dev-client-dev-user-key.pem")}
}

// env is the process environment with the cluster's address and the user's TLS.
func (c *devCluster) env() []string {
	return append(os.Environ(), "DXTRAIN_ADDR="+c.addr, c.kekEnv(),
		"DXTRAIN_CACERT="+c.user.CA, "DXTRAIN_CLIENT_CERT="+c.user.Cert, "DXTRAIN_CLIENT_KEY="+c.user.Key)
}

// api is a Go client of the cluster over TLS with the user's certificate.
func (c *devCluster) api(t *testing.T, token string) *client.Client {
	t.Helper()
	src, err := pki.Load(c.user)
	if err != nil {
		t.Fatal(err)
	}
	api, err := client.New([]string{c.addr}, token, client.WithTLS(src.ClientConfig(pki.RoleServer)))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// must runs a command that has to succeed.
func (c *devCluster) must(t *testing.T, token string, args ...string) string {
	t.Helper()
	out, err := c.as(t, token, args...)
	if err != nil {
		t.Fatalf("dxtrain %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// token creates an ACL token with one role and returns its secret.
func (c *devCluster) token(t *testing.T, name, role string) string {
	t.Helper()
	out := c.must(t, c.admin, "acl", "token-create", name, "--role", role, "--json")
	var tok structs.ACLTokenSecretResponse
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.SecretID == "" || len(tok.Roles) != 1 {
		t.Fatalf("token-create --json: %v\n%s", err, out)
	}
	return tok.SecretID
}

// waitSucceeded polls the experiment until it ends; it has to succeed.
func (c *devCluster) waitSucceeded(t *testing.T, id string) {
	t.Helper()
	api := c.api(t, c.admin)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		e, err := api.Experiment(t.Context(), id)
		if err == nil && structs.ExperimentTerminal(e.Status) {
			if e.Status != structs.ExperimentSucceeded {
				t.Fatalf("experiment %s %s: %s", id, e.Status, e.StatusReason)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("experiment %s did not finish within 60s", id)
}

// TestReleasePullPredictEndToEnd is issue 8's bar on a real `dxtrain dev`: train,
// release as a validator, pull as a trust, verify, predict — the predictions equal
// the Go forward pass of the released checkpoint, and their AUROC is the card's —
// then tampering, another key, a trust releasing and a revoked version are refused.
func TestReleasePullPredictEndToEnd(t *testing.T) {
	c := startDev(t)
	work := t.TempDir()
	validator, trust := c.token(t, "validator", structs.RoleValidator), c.token(t, "trust", structs.RoleTrust)

	id := strings.TrimSpace(c.must(t, c.admin, "run", "experiments/wdbc-logreg.yaml", "--detach"))
	c.waitSucceeded(t, id)
	var cps []structs.Checkpoint
	if err := json.Unmarshal([]byte(c.must(t, validator, "checkpoints", "ls", id, "--json")), &cps); err != nil || len(cps) < 2 {
		t.Fatalf("checkpoints ls: %v (%d checkpoints)", err, len(cps))
	}
	final, earlier := cps[0], cps[0]
	for _, cp := range cps {
		if cp.Step > final.Step {
			final = cp
		}
		if cp.Step < earlier.Step {
			earlier = cp
		}
	}
	keys := filepath.Join(work, "keys")
	c.must(t, "", "keys", "generate", "--out", keys, "--name", "approver")
	c.must(t, "", "keys", "generate", "--out", keys, "--name", "other")
	priv, pub, otherPub := filepath.Join(keys, "approver.key"), filepath.Join(keys, "approver.pub"), filepath.Join(keys, "other.pub")

	// A test binary names no code version: the release is refused unless told to go on.
	if out, err := c.as(t, validator, "models", "release", id, "--step", strconv.FormatInt(earlier.Step, 10), "--name", "wdbc",
		"--key", priv); err == nil || !strings.Contains(out, "--allow-unknown-code-version") {
		t.Fatalf("release from an unversioned build: err %v\n%s", err, out)
	}
	out := c.must(t, validator, "models", "release", id, "--step", strconv.FormatInt(earlier.Step, 10), "--name", "wdbc",
		"--key", priv, "--approver", "Test Approver", "--limitation", "Research use only.", "--allow-unknown-code-version")
	if !strings.Contains(out, "wdbc@1") {
		t.Fatalf("first release is not wdbc@1:\n%s", out)
	}
	out = c.must(t, validator, "models", "release", id, "--step", strconv.FormatInt(final.Step, 10), "--name", "wdbc",
		"--key", priv, "--approver", "Test Approver", "--limitation", "Research use only.", "--limitation", "Adults only.",
		"--allow-unknown-code-version")
	if !strings.Contains(out, "released") || !strings.Contains(out, "wdbc@2") {
		t.Fatalf("second release is not wdbc@2:\n%s", out)
	}

	t.Run("trust lists", func(t *testing.T) {
		var rows []modelListing
		if err := json.Unmarshal([]byte(c.must(t, trust, "models", "ls", "--json")), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Name != "wdbc" || rows[0].LatestVersion != 2 || len(rows[0].Revoked) != 0 {
			t.Fatalf("models ls: %+v", rows)
		}
	})

	dir := filepath.Join(work, "pulled")
	c.must(t, trust, "models", "pull", "wdbc@2", "--pubkey", pub, "--out", dir)
	if out := c.must(t, "", "models", "verify", dir, "--pubkey", pub, "--runtime"); !strings.Contains(out, "wdbc@2") {
		t.Fatalf("models verify:\n%s", out)
	}

	t.Run("the model of a release run alone is warned about", func(t *testing.T) {
		out, err := c.as(t, "", "predict", "--model", filepath.Join(dir, "model.onnx"), "--input", "datasets/testdata/wdbc-sample.csv")
		if err != nil || !strings.Contains(out, "run without verifying it") || !strings.Contains(out, "--model "+dir+" --pubkey") {
			t.Fatalf("predict on a release's model.onnx: %v\n%s", err, out)
		}
	})

	t.Run("predictions equal the evaluation's", func(t *testing.T) {
		rows, goProbs, labels := testSplit(t, c, final.ManifestHash)
		var preds []Prediction
		if err := json.Unmarshal([]byte(c.must(t, trust, "predict", "--model", dir, "--pubkey", pub, "--input", rows, "--json")), &preds); err != nil {
			t.Fatal(err)
		}
		if len(preds) != len(goProbs) {
			t.Fatalf("predict gave %d rows, the test split has %d", len(preds), len(goProbs))
		}
		ort := make([]float32, len(preds))
		for i, p := range preds {
			ort[i] = p.Probabilities["M"]
			if d := math.Abs(float64(ort[i] - goProbs[i])); d > 1e-4 {
				t.Fatalf("test row %d: ONNX Runtime on the pulled release %g, Go forward pass of the checkpoint %g", i, ort[i], goProbs[i])
			}
		}
		auroc, err := metrics.AUROC(ort, labels)
		if err != nil {
			t.Fatal(err)
		}
		v, err := release.VerifyDir(dir, mustPub(t, pub))
		if err != nil {
			t.Fatal(err)
		}
		var ev metrics.ClinicalReport
		if err := json.Unmarshal(v.Card.Evaluation, &ev); err != nil {
			t.Fatal(err)
		}
		if got := float64(ev.Overall.Binary.AUROC.Estimate); math.Abs(got-auroc) > 1e-3 || ev.N != len(preds) {
			t.Fatalf("card AUROC %g on %d samples; the pulled model's predictions give %g on %d", got, ev.N, auroc, len(preds))
		}
	})

	t.Run("tampering and the wrong key are refused", func(t *testing.T) {
		rows := filepath.Join(work, "rows.csv")
		if err := os.WriteFile(rows, []byte("radius_mean\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, file, pubkey, want string
			edit                     func([]byte) []byte
		}{
			{"a byte of model.onnx", release.ONNXFile, pub, "model.onnx does not match the signed statement", flipMiddle},
			{"a byte of card.json", release.CardFile, pub, "card.json does not match the signed statement", flipMiddle},
			{"a byte of statement.json", release.StatementFile, pub, "signature does not verify",
				func(b []byte) []byte { return []byte(strings.Replace(string(b), "Test Approver", "Test Approvex", 1)) }},
			{"another approver's key", "", otherPub, "signed by a different key", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				bad := copyRelease(t, dir, tc.file, tc.edit)
				for _, args := range [][]string{
					{"models", "verify", bad, "--pubkey", tc.pubkey},
					{"predict", "--model", bad, "--pubkey", tc.pubkey, "--input", rows},
				} {
					out, err := c.as(t, "", args...)
					if err == nil || !strings.Contains(out, tc.want) {
						t.Fatalf("dxtrain %s: err %v, want a refusal saying %q:\n%s", strings.Join(args, " "), err, tc.want, out)
					}
				}
			})
		}
	})

	t.Run("a trust cannot release", func(t *testing.T) {
		out, err := c.as(t, trust, "models", "release", id, "--step", strconv.FormatInt(final.Step, 10), "--name", "wdbc", "--key", priv,
			"--allow-unknown-code-version")
		if err == nil || !strings.Contains(out, "403") {
			t.Fatalf("trust release: err %v, want 403 forbidden:\n%s", err, out)
		}
		vs := c.must(t, trust, "models", "ls", "wdbc", "--json")
		var versions []structs.ModelVersion
		if err := json.Unmarshal([]byte(vs), &versions); err != nil || len(versions) != 2 {
			t.Fatalf("after the refused release: %v, %d versions", err, len(versions))
		}
	})

	t.Run("a revoked version cannot be pulled", func(t *testing.T) {
		early := filepath.Join(work, "early") // pulled before the revocation
		c.must(t, trust, "models", "pull", "wdbc@1", "--pubkey", pub, "--out", early)
		if out, err := c.as(t, trust, "models", "revoke", "wdbc@1", "--reason", "recalled", "--key", priv); err == nil || !strings.Contains(out, "403") {
			t.Fatalf("trust revoke: err %v, want 403:\n%s", err, out)
		}
		if out := c.must(t, validator, "models", "revoke", "wdbc@1", "--reason", "recalled: overfit early checkpoint", "--key", priv); !strings.Contains(out, "names 1 versions") {
			t.Fatalf("revoke:\n%s", out)
		}
		into := filepath.Join(work, "revoked")
		out, err := c.as(t, trust, "models", "pull", "wdbc@1", "--pubkey", pub, "--out", into)
		if err == nil || !strings.Contains(out, "revoked") || !strings.Contains(out, "recalled: overfit early checkpoint") {
			t.Fatalf("pull of a revoked version: err %v:\n%s", err, out)
		}
		if _, err := os.Stat(into); !os.IsNotExist(err) {
			t.Fatalf("a refused pull left %s behind (%v)", into, err)
		}
		// @latest is the newest version not revoked.
		if out := c.must(t, trust, "models", "pull", "wdbc@latest", "--pubkey", pub, "--out", filepath.Join(work, "latest")); !strings.Contains(out, "pulled wdbc@2") {
			t.Fatalf("pull wdbc@latest:\n%s", out)
		}
		if out, err := c.as(t, trust, "models", "pull", "nosuch@latest", "--pubkey", pub, "--out", filepath.Join(work, "none")); err == nil {
			t.Fatalf("pull of an unknown model's latest:\n%s", out)
		}
		var rows []modelListing
		if err := json.Unmarshal([]byte(c.must(t, trust, "models", "ls", "--json")), &rows); err != nil || len(rows) != 1 || fmt.Sprint(rows[0].Revoked) != "[1]" {
			t.Fatalf("models ls after revoke: %v %+v", err, rows)
		}
		revocationsReachTheTrust(t, c, trust, validator, priv, pub, early, dir)
	})

	t.Run("concurrent releases get the versions they signed", func(t *testing.T) {
		concurrentReleases(t, c, validator, trust, id, final.Step, priv, pub)
	})
}

// revocationsReachTheTrust: a copy pulled before its version was revoked is refused by
// models verify and predict, online and — from the cached signed list — offline; an
// unrevoked version passes offline; an expired cached list is warned about.
func revocationsReachTheTrust(t *testing.T, c *devCluster, trust, validator, priv, pub, revoked, live string) {
	t.Helper()
	offline := func(args ...string) (string, error) {
		cmd := exec.Command(binary, args...)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "DXTRAIN_ADDR=http://127.0.0.1:1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, run := range []func(...string) (string, error){
		func(args ...string) (string, error) { return c.as(t, trust, args...) }, offline,
	} {
		if out, err := run("models", "verify", revoked, "--pubkey", pub); err == nil || !strings.Contains(out, "the version is revoked") ||
			!strings.Contains(out, "recalled: overfit early checkpoint") {
			t.Fatalf("models verify of a revoked copy: %v\n%s", err, out)
		}
		if out, err := run("predict", "--model", revoked, "--pubkey", pub, "--input", "datasets/testdata/wdbc-sample.csv"); err == nil ||
			!strings.Contains(out, "refusing to run") || !strings.Contains(out, "revoked") {
			t.Fatalf("predict with a revoked copy: %v\n%s", err, out)
		}
	}
	if out, err := offline("models", "verify", live, "--pubkey", pub); err != nil || strings.Contains(out, "warning") {
		t.Fatalf("offline verify of a live version: %v\n%s", err, out)
	}
	// A list valid for one second, cached, then read offline after it expired.
	c.must(t, validator, "models", "revoke", "wdbc@1", "--reason", "recalled: overfit early checkpoint", "--key", priv, "--valid", "1s")
	c.must(t, trust, "models", "verify", live, "--pubkey", pub)
	time.Sleep(1100 * time.Millisecond) // the list's validity is what is tested: a second must pass
	if out, err := offline("models", "verify", live, "--pubkey", pub); err != nil || !strings.Contains(out, "expired") {
		t.Fatalf("offline verify with an expired list: %v\n%s", err, out)
	}
}

// concurrentReleases releases the same checkpoint twice at once, with both releases
// past choosing their version before either commits: the loser's mismatched version
// is revoked and it signs again, so every live version's statement names its number.
func concurrentReleases(t *testing.T, c *devCluster, validatorToken, trust, id string, step int64, privPath, pubPath string) {
	t.Chdir("../..") // the spec's dataset path is relative to the repository root
	api := c.api(t, validatorToken)
	store := c.store(t)
	priv, err := release.LoadPrivateKey(privPath)
	if err != nil {
		t.Fatal(err)
	}
	var barrier sync.WaitGroup
	barrier.Add(2)
	errs := make(chan error, 2)
	for i := range 2 {
		var once sync.Once
		cfg := validator.ReleaseConfig{API: api, Store: store, ExperimentID: id, Step: step,
			Name: "race", PrivateKey: priv, Approver: fmt.Sprintf("Approver %d", i),
			Now: func() time.Time { // called after the version is chosen, before the commit
				once.Do(func() { barrier.Done(); barrier.Wait() })
				return time.Now()
			}}
		go func() {
			_, _, err := validator.Release(t.Context(), cfg)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	vs, err := api.ModelVersions(t.Context(), "race")
	if err != nil {
		t.Fatal(err)
	}
	trustAPI := c.api(t, trust)
	live, revoked := 0, 0
	for _, v := range vs {
		if v.Revoked {
			revoked++
			if !strings.Contains(v.RevokedReason, "concurrent release") {
				t.Fatalf("race@%d revoked for %q", v.Version, v.RevokedReason)
			}
			continue
		}
		live++
		if _, err := pullRelease(t.Context(), trustAPI, "race", v.Version, mustPub(t, pubPath)); err != nil {
			t.Fatalf("race@%d: %v", v.Version, err)
		}
	}
	if live != 2 || revoked != 1 {
		t.Fatalf("two racing releases left %d live and %d revoked versions, want 2 and 1", live, revoked)
	}
}

// testSplit writes the spec's test split as a CSV of raw measurements and returns it
// with the Go forward pass of the checkpoint on it and the labels.
func testSplit(t *testing.T, c *devCluster, manifestSHA string) (string, []float32, []int32) {
	t.Helper()
	spec, err := experiments.Load("../../experiments/wdbc-logreg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Dataset.Path = filepath.Join("../..", spec.Dataset.Path)
	store := c.store(t)
	data, err := loop.LoadHeldOut(t.Context(), spec, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := checkpoint.Load(t.Context(), store, manifestSHA)
	if err != nil {
		t.Fatal(err)
	}
	params := models.InitParams(l.Manifest.Network, 0)
	if err := l.RestoreParams(params); err != nil {
		t.Fatal(err)
	}
	probs, err := models.Infer(l.Manifest.Network, params, data.Test.X, data.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	return writeRows(t, data), probs, data.Test.Y
}

func writeRows(t *testing.T, data *loop.Data) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(strings.Join(data.Features, ",") + "\n")
	k := len(data.Features)
	for i := 0; i < data.Test.N; i++ {
		for j, v := range data.Test.Raw[i*k : (i+1)*k] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "test-rows.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// copyRelease copies a release directory, passing one file (if named) through edit.
func copyRelease(t *testing.T, dir, file string, edit func([]byte) []byte) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "release")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{release.ONNXFile, release.CardFile, release.StatementFile, release.SignatureFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == file {
			edited := edit(append([]byte(nil), data...))
			if string(edited) == string(data) {
				t.Fatalf("the edit left %s unchanged", name)
			}
			data = edited
		}
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func flipMiddle(b []byte) []byte {
	b[len(b)/2] ^= 0x01
	return b
}

func mustPub(t *testing.T, path string) ed25519.PublicKey {
	t.Helper()
	pub, err := release.LoadPublicKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestParseModelRef(t *testing.T) {
	cases := []struct {
		in      string
		name    string
		version int
		ok      bool
	}{
		{"wdbc@1", "wdbc", 1, true},
		{"wdbc-mlp.v2@12", "wdbc-mlp.v2", 12, true},
		{"wdbc", "", 0, false},
		{"@1", "", 0, false},
		{"wdbc@0", "", 0, false},
		{"wdbc@01", "", 0, false},
		{"wdbc@-1", "", 0, false},
		{"wdbc@1@2", "", 0, false},
		{"a/b@1", "", 0, false},
		{"wdbc@latest", "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			name, v, err := parseModelRef(tc.in)
			if (err == nil) != tc.ok || name != tc.name || v != tc.version {
				t.Fatalf("parseModelRef(%q) = %q, %d, %v", tc.in, name, v, err)
			}
		})
	}
}

func FuzzParseModelRef(f *testing.F) {
	for _, s := range []string{"wdbc@1", "x@999999999999999999999", "@", "a@b@c", "m@+1", "m@ 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, v, err := parseModelRef(s)
		if err != nil {
			return
		}
		if v < 1 || name == "" || strings.ContainsAny(name, "@/ ") || fmt.Sprintf("%s@%d", name, v) != s {
			t.Fatalf("parseModelRef(%q) accepted %q@%d", s, name, v)
		}
	})
}

// startBackground starts cmd from the repository root with its output in logf, and stops
// it when the test ends: an interrupt, then a kill after 10 s. If the test failed, the
// log is printed under name. The channel closes when the process exits.
func startBackground(t *testing.T, cmd *exec.Cmd, logf *os.File, name string) <-chan struct{} {
	t.Helper()
	cmd.Dir = "../.."
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", name, log)
		}
	})
	return done
}
