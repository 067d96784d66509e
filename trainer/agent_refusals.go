package trainer

import (
	"context"
	"log/slog"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/pki"
)

const (
	// refusalReportInterval is how often an agent commits the refusals it counted.
	refusalReportInterval = time.Second
	// maxRefusalRuns bounds the runs held between reports, as the servers do.
	maxRefusalRuns = 256
)

// refusalReporter logs the connections the agent's ring links and log server
// refused, and commits them, counted in runs per source and reason, to the
// cluster's audit log beside the servers' own refusals.
type refusalReporter struct {
	node    string
	api     *client.Client
	log     *slog.Logger
	counter *pki.RefusalCounter
}

func newRefusalReporter(node string, api *client.Client, log *slog.Logger) *refusalReporter {
	return &refusalReporter{node: node, api: api, log: log, counter: pki.NewRefusalCounter(maxRefusalRuns)}
}

// record notes one refusal; it never waits on the network.
func (r *refusalReporter) record(ref pki.Refusal) {
	r.log.Warn("connection refused", "listener", ref.Listener, "source", ref.Remote, "reason", ref.Reason, "peer", ref.Peer)
	r.counter.Add(ref, time.Now())
}

// ringRefusal is collective.Config.OnRefusal: a ring link's failed handshake,
// classified as the servers classify theirs.
func (r *refusalReporter) ringRefusal(remote string, err error) {
	if reason, peer, ok := pki.HandshakeReason(err); ok {
		r.record(pki.Refusal{Listener: "ring", Remote: remote, Reason: reason, Peer: peer})
	}
}

// run reports every refusalReportInterval until ctx ends, then once more.
func (r *refusalReporter) run(ctx context.Context) {
	t := time.NewTicker(refusalReportInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			r.report(last)
			cancel()
			return
		case <-t.C:
			r.report(ctx)
		}
	}
}

// report commits what was counted since the last report. Runs that fail to
// commit were logged already and are dropped rather than piling up while the
// servers are away.
func (r *refusalReporter) report(ctx context.Context) {
	runs, dropped := r.counter.Take()
	if dropped > 0 {
		r.log.Warn("refusals from too many sources to audit one by one", "not_audited", dropped)
	}
	if len(runs) == 0 {
		return
	}
	if err := r.api.ReportRefusals(ctx, structs.SecurityEventsFrom(r.node, runs)); err != nil {
		r.log.Warn("audit refused connections", "runs", len(runs), "error", err)
	}
}
