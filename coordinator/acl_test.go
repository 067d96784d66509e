package coordinator

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Every role is refused what it may not do (403), and no token gets 401.
func TestACLDenialPerRole(t *testing.T) {
	servers := testCluster(t, 1, nil)
	tk := bootstrapACL(t, servers...)
	ctx := t.Context()
	registerNode(t, tk.agent, "node-001")
	ops := map[string]func(c *client.Client) error{
		"submit": func(c *client.Client) error {
			_, err := c.SubmitExperiment(ctx, specYAML("x", 1, 1, 0), "")
			return err
		},
		"list experiments": func(c *client.Client) error { _, err := c.Experiments(ctx, ""); return err },
		"drain node":       func(c *client.Client) error { _, err := c.DrainNode(ctx, "node-001", false); return err },
		"create token":     func(c *client.Client) error { _, err := c.CreateToken(ctx, "t", structs.RoleTrust); return err },
		"audit":            func(c *client.Client) error { _, err := c.Audit(ctx, 0, 0); return err },
		"register node":    func(c *client.Client) error { registerErr := registerTry(ctx, c); return registerErr },
		"commit checkpoint": func(c *client.Client) error {
			_, err := c.CommitCheckpoint(ctx, structs.CheckpointCommitArgs{ExperimentID: "e", AttemptID: "a",
				ManifestHash: hash("m"), BlobHashes: []string{hash("b")}, WorldSize: 1})
			return err
		},
		"release model": func(c *client.Client) error {
			_, err := c.ReleaseModel(ctx, structs.ModelReleaseArgs{Name: "m", ExperimentID: "e", CheckpointID: "c",
				ONNXSHA256: hash("o"), CardSHA256: hash("c"), StatementSHA256: hash("s"), SignatureSHA256: hash("g"),
				Approver: "A", ApproverKey: "0123456789abcdef"})
			return err
		},
		"revoke model":  func(c *client.Client) error { _, err := c.RevokeModel(ctx, "m", 1, "r"); return err },
		"list models":   func(c *client.Client) error { _, err := c.Models(ctx); return err },
		"model version": func(c *client.Client) error { _, err := c.ModelVersion(ctx, "m", 1); return err },
		"download model file": func(c *client.Client) error {
			_, _, err := c.DownloadModelFile(ctx, "m", 1, structs.ModelFileONNX)
			return err
		},
		"uncordon device": func(c *client.Client) error { _, err := c.UncordonDevice(ctx, "node-001", "cpu0"); return err },
		"record alert": func(c *client.Client) error {
			_, err := c.RecordAlert(ctx, structs.AlertRecordArgs{Kind: structs.AlertCheckpointRefused, ExperimentID: "e", Reason: "r"})
			return err
		},
		"list alerts": func(c *client.Client) error { _, err := c.Alerts(ctx, "", false); return err },
		"ack alert":   func(c *client.Client) error { _, err := c.AckAlert(ctx, "al"); return err },
	}
	readModels := []string{"admin", "researcher", "validator", "trust"}
	allowed := map[string][]string{
		"release model":       {"admin", "validator"}, // allowed ones get 404 (unknown experiment)
		"revoke model":        {"admin", "validator"},
		"list models":         readModels,
		"model version":       readModels,
		"download model file": readModels,
		"uncordon device":     {"admin"}, // 409: not cordoned
		"submit":              {"admin", "researcher"},
		"list experiments":    {"admin", "researcher", "validator"},
		"drain node":          {"admin"},
		"create token":        {"admin"},
		"audit":               {"admin"},
		"register node":       {"admin", "agent"},
		"commit checkpoint":   {"admin", "agent"}, // allowed ones get 404 (unknown attempt), not 403
		"record alert":        {"admin", "agent"}, // 404: unknown experiment
		"list alerts":         {"admin", "researcher", "validator"},
		"ack alert":           {"admin", "validator"}, // 404: unknown alert
	}
	clients := map[string]*client.Client{"admin": tk.admin, "researcher": tk.researcher,
		"validator": tk.validator, "trust": tk.trust, "agent": tk.agent}
	for op, call := range ops {
		for role, c := range clients {
			t.Run(op+"/"+role, func(t *testing.T) {
				err := call(c)
				mayDo := false
				for _, r := range allowed[op] {
					mayDo = mayDo || r == role
				}
				if mayDo && errors.Is(err, structs.ErrPermissionDenied) {
					t.Fatalf("%s refused: %v", role, err)
				}
				if !mayDo && !errors.Is(err, structs.ErrPermissionDenied) {
					t.Fatalf("%s not refused with 403: %v", role, err)
				}
			})
		}
		t.Run(op+"/no token", func(t *testing.T) {
			if err := call(tk.anon); !errors.Is(err, structs.ErrUnauthenticated) {
				t.Fatalf("no token: %v", err)
			}
		})
	}
	t.Run("unknown token", func(t *testing.T) {
		if _, err := tk.anon.WithToken("not-a-token").Experiments(ctx, ""); !errors.Is(err, structs.ErrUnauthenticated) {
			t.Fatalf("unknown token: %v", err)
		}
	})
	t.Run("bootstrap twice", func(t *testing.T) {
		if _, err := tk.anon.ACLBootstrap(ctx); !errors.Is(err, structs.ErrConflict) {
			t.Fatalf("second bootstrap: %v", err)
		}
	})
	t.Run("bearer header", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+servers[0].HTTPAddr()+"/v1/acl/token/self", nil)
		req.Header.Set("Authorization", "Bearer "+tk.secrets[0])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("bearer token: status %d", resp.StatusCode)
		}
	})
}

func registerTry(ctx context.Context, c *client.Client) error {
	_, err := c.RegisterNode(ctx, structs.NodeRegisterArgs{ID: "node-001", Name: "node-001", Address: "127.0.0.1:7001",
		Devices: []structs.Device{{ID: "cpu0", Kind: "cpu", Name: "cpu", Health: structs.DeviceHealthy}}})
	return err
}

// Writes are audited with actor and outcome; secrets never reach the logs.
func TestAuditAndSecretsNeverLogged(t *testing.T) {
	var logs syncBuffer
	servers := testCluster(t, 3, func(c *Config) { c.Logger = newLogger(&logs) })
	tk := bootstrapACL(t, servers...)
	ctx := t.Context()
	// Go through a follower too, so forwarding is covered by the log check.
	leader := WaitForLeader(t, servers...)
	for _, s := range servers {
		if s == leader {
			continue
		}
		c, _ := client.New([]string{s.HTTPAddr()}, tk.secrets[1])
		if _, err := c.SubmitExperiment(ctx, specYAML("audited", 1, 1, 0), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Experiments(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	self, err := tk.researcher.TokenSelf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := tk.admin.Audit(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	submits := 0
	for _, e := range entries {
		if e.Action == "experiment_submit" && e.Actor == self.AccessorID && e.Outcome == structs.OutcomeOK && e.Time > 0 && e.Index > 0 {
			submits++
		}
	}
	if submits != 2 {
		t.Fatalf("audit has %d ok experiment_submit entries by the researcher, want 2: %+v", submits, entries)
	}
	out := logs.String()
	if !strings.Contains(out, "http request") {
		t.Fatal("no request log lines were captured; the secret check below would prove nothing")
	}
	for _, secret := range tk.secrets {
		if strings.Contains(out, secret) {
			t.Fatalf("a token secret appears in the server log")
		}
	}
}
