package pki

import (
	"testing"
	"time"
)

func TestRefusalCounterGathersRuns(t *testing.T) {
	c := NewRefusalCounter(2)
	t0 := time.Unix(100, 0)
	wrongCA := Refusal{Listener: "ring", Remote: "10.0.0.7:41000", Reason: "certificate signed by another CA"}
	c.Add(wrongCA, t0)
	wrongCA.Remote = "10.0.0.7:41001" // another port of the same host: the same run
	c.Add(wrongCA, t0.Add(time.Second))
	c.Add(Refusal{Listener: "logs", Remote: "10.0.0.8:1", Reason: "plaintext (not TLS) client"}, t0.Add(2*time.Second))
	c.Add(Refusal{Listener: "logs", Remote: "10.0.0.9:1", Reason: "plaintext (not TLS) client"}, t0.Add(3*time.Second))

	runs, dropped := c.Take()
	if len(runs) != 2 || dropped != 1 {
		t.Fatalf("%d runs, %d dropped; want 2 runs (the counter holds 2) and 1 dropped", len(runs), dropped)
	}
	first := runs[0]
	if first.Remote != "10.0.0.7" || first.Count != 2 || !first.First.Equal(t0) || !first.Last.Equal(t0.Add(time.Second)) {
		t.Fatalf("first run %+v; want host 10.0.0.7, count 2, from t0 to t0+1s", first)
	}
	if runs[1].Remote != "10.0.0.8" || runs[1].Listener != "logs" {
		t.Fatalf("second run %+v; want the logs listener's refusal of 10.0.0.8", runs[1])
	}
	if runs, dropped := c.Take(); len(runs) != 0 || dropped != 0 {
		t.Fatalf("a second Take returned %d runs, %d dropped; want nothing", len(runs), dropped)
	}
}
