package gang

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidConfig means the Config failed Validate.
	ErrInvalidConfig = errors.New("invalid gang config")
	// ErrRankFailed means a rank exited non-zero or was killed by a signal it was not
	// sent by the gang. The error is a *RankError with the details.
	ErrRankFailed = errors.New("rank failed")
	// ErrSilent means a rank sent nothing (no Touch) for the silence timeout.
	ErrSilent = errors.New("rank silent")
	// ErrKilled means the owner called Kill; the error also wraps the reason given.
	ErrKilled = errors.New("gang killed")
	// ErrCancelled means the context given to Start was cancelled; the error also
	// wraps the context's cause.
	ErrCancelled = errors.New("gang cancelled")
	// ErrStragglers means some process of the gang was still running when the reap
	// deadline passed (usually one stuck in uninterruptible sleep, such as a hung
	// driver call). The error names the pids.
	ErrStragglers = errors.New("gang processes still running")
)

// RankError reports the rank whose exit failed the gang.
type RankError struct {
	Rank int
	// ExitCode is the rank's exit status, or -1 when a signal killed it.
	ExitCode int
	// Signal is the signal that killed the rank, or 0 when it exited.
	Signal syscall.Signal
	// LastLines are the last lines the rank wrote to stdout and stderr.
	LastLines []string
	// Log is the path of the rank's log file.
	Log string
}

func (e *RankError) Error() string {
	var b strings.Builder
	if e.Signal != 0 {
		fmt.Fprintf(&b, "rank %d was killed by signal %d (%v)", e.Rank, int(e.Signal), e.Signal)
	} else {
		fmt.Fprintf(&b, "rank %d exited with code %d", e.Rank, e.ExitCode)
	}
	if len(e.LastLines) == 0 {
		b.WriteString("; it wrote no output")
		return b.String()
	}
	fmt.Fprintf(&b, "; last %d lines of %s:", len(e.LastLines), e.Log)
	for _, l := range e.LastLines {
		b.WriteString("\n  | ")
		b.WriteString(l)
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrRankFailed) match.
func (e *RankError) Unwrap() error { return ErrRankFailed }
