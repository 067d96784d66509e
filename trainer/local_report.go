package trainer

import (
	"context"
	"fmt"
	"io"

	"github.com/dxtrain/dxtrain/trainer/checkpoint"
)

// reportingLedger tells the person running `dxtrain train --resume` what the resume
// did: each checkpoint it refused and the one it continued from. It passes refusals on
// to the ledger it wraps, which keeps them.
type reportingLedger struct {
	checkpoint.Ledger
	w io.Writer
}

var (
	_ checkpoint.RefusalRecorder = reportingLedger{}
	_ checkpoint.ResumeRecorder  = reportingLedger{}
)

func (l reportingLedger) RecordRefusal(ctx context.Context, r checkpoint.Refusal) error {
	fmt.Fprintf(l.w, "resume: refused the checkpoint at step %d (manifest %s): %v\n", r.Record.Step, r.Record.ManifestSHA, r.Err)
	if rec, ok := l.Ledger.(checkpoint.RefusalRecorder); ok {
		return rec.RecordRefusal(ctx, r)
	}
	return nil
}

func (l reportingLedger) RecordResume(ctx context.Context, from *checkpoint.Record) error {
	if from == nil {
		fmt.Fprintln(l.w, "resume: every committed checkpoint was refused; training from the start")
	} else {
		fmt.Fprintf(l.w, "resume: continuing from the checkpoint at step %d (manifest %s)\n", from.Step, from.ManifestSHA)
	}
	if rec, ok := l.Ledger.(checkpoint.ResumeRecorder); ok {
		return rec.RecordResume(ctx, from)
	}
	return nil
}
