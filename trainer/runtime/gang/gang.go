package gang

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"
)

// Gang is the running ranks of one attempt on this node. Its methods are safe for
// concurrent use.
type Gang struct {
	cfg    Config
	log    *slog.Logger
	ranks  []*rank
	byRank map[int]*rank // fixed after Start, so Touch reads it without a lock

	exits chan exitEvent // one event per started rank; buffered so owners never block
	kills chan error     // the first Kill reason
	done  chan struct{}
	err   error // set before done is closed

	running int // ranks not yet exited; supervisor goroutine only
}

// Start launches every process of cfg and returns once all have started. If one fails
// to start, those already started are killed (and swept) before Start returns the
// error. The gang runs until it ends by itself or ctx is cancelled; see Wait.
func Start(ctx context.Context, cfg Config) (*Gang, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start gang %s: %w", cfg.AttemptID, err)
	}
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.LogDir, 0o750); err != nil {
		return nil, fmt.Errorf("start gang %s: log dir: %w", cfg.AttemptID, err)
	}
	g := &Gang{
		cfg:    cfg,
		log:    cfg.Logger.With("gang", cfg.AttemptID),
		byRank: make(map[int]*rank, len(cfg.Processes)),
		exits:  make(chan exitEvent, len(cfg.Processes)),
		kills:  make(chan error, 1),
		done:   make(chan struct{}),
	}
	var startErr error
	for _, p := range cfg.Processes {
		r, err := g.launch(p)
		if err != nil {
			startErr = err
			break
		}
		g.ranks = append(g.ranks, r)
		g.byRank[p.Rank] = r
	}
	g.running = len(g.ranks)
	go g.supervise(ctx, startErr)
	if startErr != nil {
		<-g.done
		return nil, fmt.Errorf("start gang %s: %w", cfg.AttemptID, g.err)
	}
	return g, nil
}

func (g *Gang) launch(p Process) (*rank, error) {
	sink, err := openLog(LogFile(g.cfg.LogDir, p.Rank), g.cfg.LogMaxBytes, g.cfg.TailLines)
	if err != nil {
		return nil, fmt.Errorf("rank %d: %w", p.Rank, err)
	}
	r := &rank{proc: p, log: sink}
	if err := r.start(g.exits, g.log); err != nil {
		sink.close()
		return nil, err
	}
	return r, nil
}

// Wait blocks until the gang has ended and nothing of it is left running, then
// returns nil when every rank exited 0, or why it ended: a *RankError (ErrRankFailed),
// ErrSilent, ErrKilled with the owner's reason, or ErrCancelled with the context's
// cause. ErrStragglers is joined in when some process outlived the reap deadline.
func (g *Gang) Wait() error {
	<-g.done
	return g.err
}

// Done is closed when the gang has ended and Wait would return at once.
func (g *Gang) Done() <-chan struct{} { return g.done }

// Kill ends the gang; Wait's error wraps ErrKilled and reason. Only the first reason
// given counts, and Kill after the gang has ended does nothing.
func (g *Gang) Kill(reason error) {
	if reason == nil {
		reason = errors.New("no reason given")
	}
	select {
	case g.kills <- reason:
	default:
	}
}

// Touch records that rank is alive (it sent a message). Unknown ranks are ignored.
func (g *Gang) Touch(rank int) {
	if r := g.byRank[rank]; r != nil {
		r.lastSeen.Store(time.Now().UnixNano())
	}
}

// Tail returns the last lines rank wrote (oldest first), for messages about a rank
// that did not fail by exiting, such as a silent one.
func (g *Gang) Tail(rank int) []string {
	if r := g.byRank[rank]; r != nil {
		return r.log.tail()
	}
	return nil
}

// supervise owns the gang from launch to the end: it waits for the cause that ends
// it (unless Start already failed), kills everything, sweeps, drains the logs and
// then publishes the result.
func (g *Gang) supervise(ctx context.Context, cause error) {
	defer close(g.done)
	if cause == nil {
		cause = g.watch(ctx)
	}
	if cause != nil {
		// The cause itself is returned by Wait for the owner to report.
		g.log.Info("ending gang", "reason", reasonKind(cause))
		g.terminate()
	}
	deadline := time.Now().Add(g.cfg.ReapTimeout)
	reapErr := g.awaitExits(deadline)
	sweepErr := g.sweep(deadline)
	logErr := g.closeLogs(deadline)
	if logErr != nil {
		g.log.Warn("rank logs incomplete", "error", logErr)
	}
	var re *RankError
	if errors.As(cause, &re) {
		// Filled in only now, once all output has been drained, so the tail
		// includes the traceback the rank wrote just before exiting.
		re.LastLines = g.byRank[re.Rank].log.tail()
	}
	g.err = errors.Join(cause, reapErr, sweepErr)
	if g.err == nil {
		g.log.Info("gang finished")
	}
}

// reasonKind names the sentinel an ending cause wraps, for the log line.
func reasonKind(err error) string {
	for _, kind := range []error{ErrRankFailed, ErrSilent, ErrKilled, ErrCancelled} {
		if errors.Is(err, kind) {
			return kind.Error()
		}
	}
	return "start failed"
}

// watch waits for the event that ends the gang and returns why, or nil when every
// rank exited 0.
func (g *Gang) watch(ctx context.Context) error {
	var tick <-chan time.Time
	if g.cfg.SilenceTimeout > 0 {
		t := time.NewTicker(min(max(g.cfg.SilenceTimeout/10, 5*time.Millisecond), time.Second))
		defer t.Stop()
		tick = t.C
	}
	for g.running > 0 {
		select {
		case ev := <-g.exits:
			if err := g.exited(ev); err != nil {
				return err
			}
		case reason := <-g.kills:
			return fmt.Errorf("%w: %w", ErrKilled, reason)
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrCancelled, context.Cause(ctx))
		case now := <-tick:
			if err := g.silent(now); err != nil {
				return err
			}
		}
	}
	return nil
}

// exited records a rank's exit and returns its failure, if it failed.
func (g *Gang) exited(ev exitEvent) error {
	ev.r.exited = true
	g.running--
	f := ev.failure()
	attrs := []any{"rank", ev.r.proc.Rank, "pid", ev.r.pid}
	if ev.state != nil {
		attrs = append(attrs, "state", ev.state.String())
	}
	if ev.err != nil {
		attrs = append(attrs, "error", ev.err)
	}
	g.log.Info("rank exited", attrs...)
	if f == nil {
		return nil
	}
	return f
}

// silent returns ErrSilent for the first running rank not touched for the timeout.
func (g *Gang) silent(now time.Time) error {
	for _, r := range g.ranks {
		if r.exited {
			continue
		}
		if now.Sub(time.Unix(0, r.lastSeen.Load())) >= g.cfg.SilenceTimeout {
			return fmt.Errorf("%w: rank %d sent nothing for %v", ErrSilent, r.proc.Rank, g.cfg.SilenceTimeout)
		}
	}
	return nil
}

// terminate sends SIGTERM to every rank's group, gives them KillGrace to exit, then
// sends SIGKILL to every group still there.
func (g *Gang) terminate() {
	if g.cfg.KillGrace > 0 {
		g.signalAll(syscall.SIGTERM)
		grace := time.NewTimer(g.cfg.KillGrace)
		defer grace.Stop()
	wait:
		for g.running > 0 {
			select {
			case ev := <-g.exits:
				g.exited(ev)
			case <-grace.C:
				break wait
			}
		}
	}
	g.signalAll(syscall.SIGKILL)
}

func (g *Gang) signalAll(sig syscall.Signal) {
	for _, r := range g.ranks {
		r.signalGroup(sig)
	}
}

// awaitExits waits until every rank's leader has been reaped.
func (g *Gang) awaitExits(deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for g.running > 0 {
		select {
		case ev := <-g.exits:
			g.exited(ev)
		case <-timer.C:
			var left []string
			for _, r := range g.ranks {
				if !r.exited {
					left = append(left, fmt.Sprintf("rank %d (pid %d)", r.proc.Rank, r.pid))
				}
			}
			return fmt.Errorf("%w: %v after SIGKILL: %v", ErrStragglers, g.cfg.ReapTimeout, left)
		}
	}
	return nil
}

// sweep kills every process still carrying the gang's marker and repeats until
// none is left: children that left their rank's process group (setsid) or outlived a
// rank that exited 0. Killed processes drop out of the scan once they have exited,
// since a zombie's environ reads empty.
func (g *Gang) sweep(deadline time.Time) error {
	marker := MarkerEnv + "=" + g.cfg.AttemptID
	const pause = 10 * time.Millisecond
	// However long the reaping took, the sweep gets at least one round of kills and
	// a moment for them to land.
	if floor := time.Now().Add(20 * pause); deadline.Before(floor) {
		deadline = floor
	}
	for {
		pids, err := markedProcesses(marker)
		if err != nil {
			return fmt.Errorf("sweep gang %s: %w", g.cfg.AttemptID, err)
		}
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
				g.log.Info("killed stray process", "pid", pid)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: pids %v still carry %s", ErrStragglers, pids, marker)
		}
		time.Sleep(pause)
	}
}

// closeLogs waits for every rank's output to be drained, cutting the wait short at
// the deadline (a process outside the attempt may still hold a pipe), and closes the
// log files.
func (g *Gang) closeLogs(deadline time.Time) error {
	// Everything that could write has been killed, so draining is quick; allow a
	// little time past the reap deadline for the last bytes in the pipes.
	deadline = deadline.Add(200 * time.Millisecond)
	var errs []error
	for _, r := range g.ranks {
		select {
		case <-r.readerDone:
		case <-time.After(time.Until(deadline)):
			r.pipe.SetReadDeadline(time.Now())
			<-r.readerDone
			errs = append(errs, fmt.Errorf("rank %d: output still open at the deadline; stopped reading", r.proc.Rank))
		}
		if err := r.log.close(); err != nil {
			errs = append(errs, fmt.Errorf("rank %d: %w", r.proc.Rank, err))
		}
	}
	return errors.Join(errs...)
}
