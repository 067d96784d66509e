package gang

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// rank is one launched process and everything the gang keeps about it.
type rank struct {
	proc Process
	log  *logSink
	pid  int // set before start returns; the process-group id too (Setpgid)

	lastSeen atomic.Int64 // unix nanoseconds of the last Touch, or of the launch
	exited   bool         // owned by the supervisor goroutine

	// mu orders signalling the group against reaping the leader: while the leader
	// is unreaped its pid (and so the group id) cannot be reused, so every group
	// signal is sent under mu after checking reaped.
	mu     sync.Mutex
	reaped bool

	pipe       *os.File      // read end of the rank's stdout+stderr pipe
	readerDone chan struct{} // closed when the output has been drained
}

// exitEvent is a rank's leader having exited and been reaped.
type exitEvent struct {
	r     *rank
	state *os.ProcessState // nil when waiting failed
	err   error
}

// start launches the process and its output reader. The process is started and waited
// for from one goroutine locked to its OS thread, because PR_SET_PDEATHSIG fires when
// the thread that forked the child exits, not the process: were the fork done on a
// thread that some other locked goroutine later retires, the rank would be killed for
// no reason. Locked for the rank's lifetime, the thread lives exactly as long as needed,
// and if the agent dies (even by SIGKILL) every thread goes and the kernel kills the rank.
func (r *rank) start(exits chan<- exitEvent, logger *slog.Logger) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("rank %d: output pipe: %w", r.proc.Rank, err)
	}
	cmd := exec.Command(r.proc.Argv[0], r.proc.Argv[1:]...)
	cmd.Args = r.proc.Argv
	cmd.Dir = r.proc.Dir
	cmd.Env = r.proc.Env
	// One pipe for both streams: a traceback interleaves correctly with what
	// print() wrote before it. A *os.File is handed to the child directly, so
	// exec starts no copying goroutine that a lingering child could keep alive.
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}

	started := make(chan error, 1)
	go r.own(cmd, started, exits)
	err = <-started
	pw.Close() // the child holds its own copy; the reader sees EOF when all copies close
	if err != nil {
		pr.Close()
		return fmt.Errorf("rank %d: start %s: %w", r.proc.Rank, r.proc.Argv[0], err)
	}
	r.lastSeen.Store(time.Now().UnixNano())
	r.pipe = pr
	r.readerDone = make(chan struct{})
	go r.drain(logger)
	logger.Info("rank started", "rank", r.proc.Rank, "pid", r.pid, "log", r.log.path)
	return nil
}

// own runs on a locked OS thread: it starts the process, waits for it to exit, kills
// whatever is left in its process group while the leader is still an unreaped zombie,
// then reaps it and reports the exit.
func (r *rank) own(cmd *exec.Cmd, started chan<- error, exits chan<- exitEvent) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		started <- err
		return
	}
	r.pid = cmd.Process.Pid
	started <- nil

	waitErr := waitExited(r.pid)
	r.mu.Lock()
	// A rank that exits 0 may leave children behind (a DataLoader worker, a
	// daemonised helper); in its own group they die with it.
	syscall.Kill(-r.pid, syscall.SIGKILL)
	err := cmd.Wait()
	r.reaped = true
	r.mu.Unlock()
	if _, ok := err.(*exec.ExitError); ok || err == nil {
		err = waitErr
	}
	exits <- exitEvent{r: r, state: cmd.ProcessState, err: err}
}

// signalGroup sends sig to the rank's whole process group unless its leader has been
// reaped (then its group was already killed and its id may be reused).
func (r *rank) signalGroup(sig syscall.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.reaped && r.pid > 0 {
		syscall.Kill(-r.pid, sig)
	}
}

// drain copies the rank's output into its log until every holder of the pipe's write
// end has closed it (or the gang gives up waiting and expires the read).
func (r *rank) drain(logger *slog.Logger) {
	defer close(r.readerDone)
	_, err := io.Copy(r.log, r.pipe)
	if err != nil && !os.IsTimeout(err) {
		logger.Warn("rank output read failed", "rank", r.proc.Rank, "error", err)
	}
	r.pipe.Close()
}

// failure returns the RankError for a failed exit, or nil when the rank exited 0.
func (ev exitEvent) failure() *RankError {
	e := &RankError{Rank: ev.r.proc.Rank, ExitCode: -1, Log: ev.r.log.path}
	if ev.state == nil {
		return e
	}
	if ws, ok := ev.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.Signal = ws.Signal()
		return e
	}
	if ev.state.ExitCode() == 0 {
		return nil
	}
	e.ExitCode = ev.state.ExitCode()
	return e
}
