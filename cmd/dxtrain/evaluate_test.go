package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/storage"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// TestTrustEvaluatesOnItsOwnPatients is issue 19's bar on a real `dxtrain dev`: release
// WDBC, pull it as a trust, evaluate on a shifted local set built from the held-back
// test split (radius_mean ×1.4, every second benign row dropped: a known feature and
// prevalence shift) — the report flags both and the metrics that moved — sign and
// submit it, see it in models show and models verify --reports; a tampered report and
// one about another model are refused by the registry; a revoked version is refused;
// no row-level value reaches the report, the registry or the server's log.
func TestTrustEvaluatesOnItsOwnPatients(t *testing.T) {
	c := startDev(t)
	work := t.TempDir()
	validator, trust := c.token(t, "validator", structs.RoleValidator), c.token(t, "trust", structs.RoleTrust)
	id := strings.TrimSpace(c.must(t, c.admin, "run", "experiments/wdbc-logreg.yaml", "--detach"))
	c.waitSucceeded(t, id)
	var cps []structs.Checkpoint
	if err := json.Unmarshal([]byte(c.must(t, validator, "checkpoints", "ls", id, "--json")), &cps); err != nil || len(cps) == 0 {
		t.Fatalf("checkpoints ls: %v", err)
	}
	final := cps[0]
	for _, cp := range cps {
		if cp.Step > final.Step {
			final = cp
		}
	}
	keys := filepath.Join(work, "keys")
	c.must(t, "", "keys", "generate", "--out", keys, "--name", "approver")
	c.must(t, "", "keys", "generate", "--out", keys, "--name", "trust-a")
	priv, pub, trustKey := filepath.Join(keys, "approver.key"), filepath.Join(keys, "approver.pub"), filepath.Join(keys, "trust-a.key")
	for range 2 {
		c.must(t, validator, "models", "release", id, "--step", strconv.FormatInt(final.Step, 10), "--name", "wdbc",
			"--key", priv, "--approver", "Test Approver", "--limitation", "Research use only.", "--allow-unknown-code-version")
	}
	dir, early := filepath.Join(work, "pulled"), filepath.Join(work, "early")
	c.must(t, trust, "models", "pull", "wdbc@2", "--pubkey", pub, "--out", dir)
	c.must(t, trust, "models", "pull", "wdbc@1", "--pubkey", pub, "--out", early)

	local, cells := shiftedSet(t, work)
	args := []string{"models", "evaluate", "wdbc@2", "--release", dir, "--pubkey", pub, "--data", local, "--label", "diagnosis",
		"--subgroups", "site", "--threshold", "0.3", "--sign", trustKey, "--site", "Trust A", "--out", filepath.Join(work, "report.json")}
	out := c.must(t, trust, args...)
	for _, want := range []string{"radius_mean", "(major)", "label prevalence shift", "local CI excludes development", "ONNX Runtime:", "rows/s", "0.300 (local)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("models evaluate does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "texture_mean: PSI") {
		t.Fatalf("an unshifted input is flagged:\n%s", out)
	}
	// A requirement its lower bound misses exits non-zero and says which.
	if o, err := c.as(t, trust, append(args[:len(args)-6], "--require", "auroc>=0.999")...); err == nil || !strings.Contains(o, "auroc lower 95% bound") {
		t.Fatalf("--require auroc>=0.999: err %v\n%s", err, o)
	}
	c.must(t, trust, append(args[:len(args)-6], "--require", "auroc>=0.5,specificity>=0.1")...)

	report := filepath.Join(work, "report.json")
	if o, err := c.as(t, validator, "models", "report", "submit", report); err == nil || !strings.Contains(o, "403") {
		t.Fatalf("a validator submitting a site report: err %v\n%s", err, o)
	}
	if o := c.must(t, trust, "models", "report", "submit", report); !strings.Contains(o, "submitted the report of Trust A") {
		t.Fatalf("submit:\n%s", o)
	}
	show := c.must(t, trust, "models", "show", "wdbc@2")
	if !strings.Contains(show, "Trust A") || !strings.Contains(show, "verified") || !strings.Contains(show, "prevalence shifted") {
		t.Fatalf("models show does not list the verified report:\n%s", show)
	}
	if o := c.must(t, trust, "models", "verify", dir, "--pubkey", pub, "--reports"); !strings.Contains(o, "by Trust A") || !strings.Contains(o, "signature verified") {
		t.Fatalf("models verify --reports:\n%s", o)
	}

	t.Run("tampered and mismatched reports are refused at submit", func(t *testing.T) {
		body, _ := os.ReadFile(report)
		sig, _ := os.ReadFile(report + ".sig")
		tampered := bytes.Replace(body, []byte("Trust A"), []byte("Trust B"), 1)
		bad := filepath.Join(work, "tampered.json")
		_ = os.WriteFile(bad, tampered, 0o644)
		_ = os.WriteFile(bad+".sig", sig, 0o644)
		if o, err := c.as(t, trust, "models", "report", "submit", bad); err == nil || !strings.Contains(o, "signature does not verify") {
			t.Fatalf("submit of a tampered report: err %v\n%s", err, o)
		}
		api := c.api(t, trust)
		// Past the local check, straight to the registry.
		if _, err := api.SubmitReport(t.Context(), "wdbc", 2, tampered, sig); err == nil || !strings.Contains(err.Error(), "does not verify") {
			t.Fatalf("the registry took a tampered report: %v", err)
		}
		r, err := release.VerifyReport(body, sig)
		if err != nil {
			t.Fatal(err)
		}
		r.ONNXSHA256 = storage.Digest([]byte("another model"))
		tkey, err := release.LoadPrivateKey(trustKey)
		if err != nil {
			t.Fatal(err)
		}
		other, osig, err := release.SignReport(*r, tkey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.SubmitReport(t.Context(), "wdbc", 2, other, osig); err == nil || !strings.Contains(err.Error(), "model hash") {
			t.Fatalf("the registry took a report on another model: %v", err)
		}
		if _, err := api.SubmitReport(t.Context(), "wdbc", 1, body, sig); err == nil {
			t.Fatal("the registry took version 2's report for version 1")
		}
	})

	t.Run("a revoked version is refused", func(t *testing.T) {
		c.must(t, validator, "models", "revoke", "wdbc@1", "--reason", "recalled", "--key", priv)
		o, err := c.as(t, trust, "models", "evaluate", "wdbc@1", "--release", early, "--pubkey", pub, "--data", local, "--label", "diagnosis", "--subgroups", "site")
		if err == nil || !strings.Contains(o, "revoked") {
			t.Fatalf("evaluate of a revoked version: err %v\n%s", err, o)
		}
	})

	t.Run("no row-level value leaves the trust", func(t *testing.T) {
		long := 0
		for c := range cells {
			if len(c) >= 8 {
				long++
			}
		}
		if long < 100 {
			t.Fatalf("only %d cells of 8 characters or more: the check would prove little", long)
		}
		shown := c.must(t, trust, "models", "show", "wdbc@2", "--json")
		body, _ := os.ReadFile(report)
		devLog, _ := os.ReadFile(filepath.Join(c.dataDir, "dev.log"))
		for name, text := range map[string]string{"models evaluate": out, "report.json": string(body), "the registry (models show --json)": shown,
			"models show": show, "the server log": string(devLog)} {
			if leaked := rowValueIn(text, cells); leaked != "" {
				t.Fatalf("%s holds the row-level value %s", name, leaked)
			}
			if strings.Contains(text, "MRN-") {
				t.Fatalf("%s holds a subgroup value held by fewer rows than the floor", name)
			}
		}
	})
}

// shiftedSet writes the spec's held-back test split with radius_mean ×1.4 and every
// second benign row dropped, a site column with a large site and rare one-row values,
// and returns the path and every input cell as written.
func shiftedSet(t *testing.T, work string) (string, map[string]bool) {
	t.Helper()
	spec, err := experiments.Load("../../experiments/wdbc-logreg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Dataset.Path = filepath.Join("../..", spec.Dataset.Path)
	data, err := loop.LoadTabular(spec.Dataset, spec.Training.Seed)
	if err != nil {
		t.Fatal(err)
	}
	k := len(data.Features)
	var b strings.Builder
	b.WriteString(strings.Join(data.Features, ",") + ",diagnosis,site\n")
	cells := map[string]bool{}
	benign := 0
	for i := 0; i < data.Test.N; i++ {
		y := data.Test.Y[i]
		if y == 0 {
			if benign++; benign%2 == 0 {
				continue
			}
		}
		for j, v := range data.Test.Raw[i*k : (i+1)*k] {
			if data.Features[j] == "radius_mean" {
				v *= 1.4
			}
			s := strconv.FormatFloat(float64(v), 'g', -1, 32)
			cells[s] = true
			b.WriteString(s + ",")
		}
		site := "main"
		if i%17 == 0 {
			site = "MRN-" + strconv.Itoa(1000+i)
		}
		b.WriteString(data.Classes[y] + "," + site + "\n")
	}
	path := filepath.Join(work, "shifted.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, cells
}

var numberToken = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?`)

// rowValueIn returns a number in text that is exactly one of the input cells written
// with at least 8 characters: shorter ones collide by chance with counts, 3-decimal
// metrics and the card's 4-digit development means.
func rowValueIn(text string, cells map[string]bool) string {
	for _, tok := range numberToken.FindAllString(text, -1) {
		if len(tok) >= 8 && cells[tok] {
			return tok
		}
	}
	return ""
}
