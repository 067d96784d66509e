package coordinator

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// The client skips a dead address and keeps the server's message in its errors.
func TestClientFailoverAndErrors(t *testing.T) {
	servers := testCluster(t, 1, nil)
	tk := bootstrapACL(t, servers...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens here any more
	c, err := client.New([]string{dead, servers[0].HTTPAddr()}, tk.secrets[1], client.WithRetryFor(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Experiments(t.Context(), ""); err != nil {
		t.Fatalf("client did not fail over past a dead address: %v", err)
	}
	_, err = c.Experiment(t.Context(), "missing-id")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || !errors.Is(err, structs.ErrNotFound) || !strings.Contains(err.Error(), "missing-id") {
		t.Fatalf("404 error: %v", err)
	}
	_, err = c.SubmitExperiment(t.Context(), []byte("name: [x\n"), "")
	if !errors.As(err, &apiErr) || apiErr.Field != "spec" || !errors.Is(err, structs.ErrInvalid) {
		t.Fatalf("400 error: %#v", err)
	}
	onlyDead, _ := client.New([]string{dead}, "", client.WithRetryFor(100*time.Millisecond))
	if _, err := onlyDead.Status(t.Context()); err == nil {
		t.Fatal("a dead cluster answered")
	}
	if _, err := client.New(nil, ""); err == nil {
		t.Fatal("client without addresses")
	}
}
