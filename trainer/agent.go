package trainer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/trainer/collective"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Agent registers its node, heartbeats to the leader and runs the attempt ranks it is
// assigned. Losing the coordinator does not stop a running attempt: the client fails
// over to another server and the agent re-registers.
type Agent struct {
	cfg      AgentConfig
	log      *slog.Logger
	health   *healthReporter
	refusals *refusalReporter

	mu      sync.Mutex
	running map[string]*runningAttempt // attempt ID → its rank on this node
	wg      sync.WaitGroup

	logs *LogServer   // nil when the agent serves no logs
	logL net.Listener // the log server's listener, opened in NewAgent so the address is known
}

// NewAgent checks the config and returns an agent ready to Run.
func NewAgent(cfg AgentConfig) (*Agent, error) {
	if err := errors.Join(cfg.Validate(), cfg.validateDependencies()); err != nil {
		return nil, err
	}
	cfg.WorkDir = cfg.workRoot()
	addr, err := concreteAddress(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("agent %s: %w", cfg.NodeID, err)
	}
	cfg.Address = addr
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	a := &Agent{cfg: cfg, log: log.With("node", cfg.NodeID), running: map[string]*runningAttempt{},
		health: newHealthReporter(cfg.Devices, cfg.DeviceMetrics)}
	a.refusals = newRefusalReporter(cfg.NodeID, cfg.API, a.log)
	if err := a.checkIdentity(); err != nil {
		return nil, err
	}
	if cfg.LogAddress != "" {
		if a.logL, err = net.Listen("tcp", cfg.LogAddress); err != nil {
			return nil, fmt.Errorf("agent %s: log server: %w", cfg.NodeID, err)
		}
		a.logL = a.secureLogs(a.logL)
		a.cfg.LogAddress = a.logL.Addr().String()
		a.logs = &LogServer{root: filepath.Join(cfg.WorkDir, "logs"), api: cfg.API, running: a.isRunning, log: a.log}
	}
	return a, nil
}

// LogAddress is where the agent serves its ranks' logs ("" when it serves none).
func (a *Agent) LogAddress() string { return a.cfg.LogAddress }

// isRunning reports whether the attempt still runs on this node.
func (a *Agent) isRunning(attemptID string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.running[attemptID]
	if !ok {
		return false
	}
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// Run works until ctx ends, then cancels its attempts and waits for them.
func (a *Agent) Run(ctx context.Context) error {
	reported := make(chan struct{})
	go func() { a.refusals.run(ctx); close(reported) }()
	defer func() { <-reported }()
	if a.logs != nil {
		defer a.logL.Close()
		go func() {
			if err := a.logs.Serve(ctx, a.logL); err != nil {
				a.log.Warn("log server stopped", "error", err)
			}
		}()
	}
	if err := a.register(ctx); err != nil {
		return err
	}
	go a.heartbeats(ctx)
	defer a.wg.Wait()
	defer a.cancelAll()
	var index uint64
	for ctx.Err() == nil {
		assignments, next, err := a.cfg.API.Assignments(ctx, a.cfg.NodeID, index, a.cfg.AssignmentWait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			a.log.Warn("fetch assignments", "error", err)
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		index = next
		a.reconcile(ctx, assignments)
	}
	return nil
}

func (a *Agent) register(ctx context.Context) error {
	devs, err := a.cfg.Devices.Inventory(ctx)
	if err != nil {
		return fmt.Errorf("agent %s: device inventory: %w", a.cfg.NodeID, err)
	}
	samples, err := a.cfg.Devices.Sample(ctx)
	if err != nil {
		return fmt.Errorf("agent %s: device sample: %w", a.cfg.NodeID, err)
	}
	health := map[string]string{}
	for _, s := range samples {
		health[s.UUID] = string(s.Health.State)
	}
	args := structs.NodeRegisterArgs{ID: a.cfg.NodeID, Name: a.cfg.displayName(), Address: a.cfg.Address, LogAddress: a.cfg.LogAddress}
	for _, d := range devs {
		args.Devices = append(args.Devices, structs.Device{ID: d.UUID, Kind: d.Kind, Name: d.Name, Health: health[d.UUID]})
	}
	for {
		_, err := a.cfg.API.RegisterNode(ctx, args)
		if err == nil {
			a.log.Info("registered", "devices", len(args.Devices))
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.log.Warn("register node", "error", err)
		sleep(ctx, 500*time.Millisecond)
	}
}

// heartbeats beat at the interval the leader asks for, carrying each device's health; a
// node the leader no longer knows (it was marked down, or the cluster was rebuilt)
// registers again.
func (a *Agent) heartbeats(ctx context.Context) {
	interval := time.Second
	for ctx.Err() == nil {
		if a.health.faulty() { // before sampling, so a repaired device is reported healthy
			if node, err := a.cfg.API.Node(ctx, a.cfg.NodeID); err == nil {
				a.health.reconcile(node)
			}
		}
		devices, err := a.health.statuses(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("sample devices", "error", err)
		}
		resp, err := a.cfg.API.Heartbeat(ctx, a.cfg.NodeID, devices...)
		switch {
		case err == nil:
			if resp.IntervalMS > 0 {
				interval = time.Duration(resp.IntervalMS) * time.Millisecond
			}
		case errors.Is(err, structs.ErrNotFound):
			if rerr := a.register(ctx); rerr != nil && ctx.Err() == nil {
				a.log.Warn("re-register", "error", rerr)
			}
		case ctx.Err() == nil:
			a.log.Warn("heartbeat", "error", err)
		}
		sleep(ctx, interval)
	}
}

// reconcile starts assigned attempts that are not running and cancels running ones that
// are no longer assigned (cancelled or failed elsewhere).
func (a *Agent) reconcile(ctx context.Context, assignments []structs.Assignment) {
	a.mu.Lock()
	defer a.mu.Unlock()
	want := map[string]bool{}
	for _, as := range assignments {
		want[as.Attempt.ID] = true
		if r, ok := a.running[as.Attempt.ID]; ok {
			r.updates.set(as.Attempt)
			continue // running, or ended here and not yet ended on the coordinator
		}
		actx, cancel := context.WithCancel(ctx)
		r := &runningAttempt{cancel: cancel, done: make(chan struct{}), updates: newAttemptUpdates(as.Attempt)}
		a.running[as.Attempt.ID] = r
		a.wg.Add(1)
		go func(as structs.Assignment) {
			defer a.wg.Done()
			defer close(r.done)
			a.runAttempt(actx, as, r.updates)
		}(as)
	}
	for id, r := range a.running {
		if want[id] {
			continue
		}
		r.cancel()
		select {
		case <-r.done: // no longer assigned and finished: forget it
			delete(a.running, id)
		default:
		}
	}
}

// runningAttempt is one rank this agent started.
type runningAttempt struct {
	cancel  context.CancelFunc
	done    chan struct{} // closed when the rank's goroutine returns
	updates *attemptUpdates
}

func (a *Agent) cancelAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.running {
		r.cancel()
	}
}

// runAttempt runs one rank and reports how it ended. The attempt stays in running
// until the agent forgets it, so a cancelled attempt is not restarted by the next poll.
// An attempt the leader ended itself (cancelled, failed elsewhere, or stopped at a stop
// request's deadline) is cancelled by reconcile and reports nothing.
func (a *Agent) runAttempt(ctx context.Context, as structs.Assignment, updates *attemptUpdates) {
	log := a.log.With("experiment", as.Experiment.ID, "attempt", as.Attempt.ID, "rank", as.Rank)
	log.Info("attempt starting", "world", len(as.Attempt.Ranks))
	out, err := a.train(ctx, as, updates, log)
	if ctx.Err() != nil && err != nil {
		log.Info("attempt stopped", "reason", ctx.Err())
		return
	}
	end := structs.AttemptEndArgs{AttemptID: as.Attempt.ID, Rank: as.Rank, Status: structs.AttemptSucceeded}
	switch {
	case err != nil:
		end.Status, end.Reason = structs.AttemptFailed, err.Error()
		log.Warn("attempt failed", "error", err)
	case out.stopped:
		end.Status, end.Reason = stoppedEnd(ctx, updates, out.step)
		log.Info("attempt stopped on request", "status", end.Status, "reason", end.Reason)
	default:
		log.Info("attempt succeeded")
	}
	// The end must reach the coordinator even while this attempt's context is being
	// torn down: a lost "failed" would leave the experiment waiting for a heartbeat timeout.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, rerr := a.cfg.API.EndAttempt(rctx, end); rerr != nil {
		log.Warn("report attempt end", "error", rerr)
	}
}

func (a *Agent) train(ctx context.Context, as structs.Assignment, updates *attemptUpdates, log *slog.Logger) (rankEnd, error) {
	spec, err := experiments.Parse([]byte(as.Experiment.SpecYAML), as.Experiment.Name+".yaml")
	if err != nil {
		return rankEnd{}, err
	}
	if spec.IsTorch() {
		return a.trainTorch(ctx, as, spec, updates, log)
	}
	comm, err := a.joinRanks(ctx, as)
	if err != nil {
		return rankEnd{}, err
	}
	defer comm.Close()
	data, err := loop.LoadData(ctx, spec, a.cfg.Store, a.cfg.API.DatasetManifest, comm.Rank(), comm.World())
	if err != nil {
		return rankEnd{}, err
	}
	gradBytes := 0
	if comm.World() > 1 {
		net, err := models.NewNetwork(models.Options{Architecture: spec.Model.Architecture, InputShape: data.InputShape,
			Hidden: spec.Model.Hidden, Classes: len(data.Classes)})
		if err == nil {
			gradBytes = 4 * (net.ParamCount() + 2) // gradients, the loss and the stop flag
		}
	}
	observe := a.cfg.TrainingMetrics.observer(as.Experiment.ID, strconv.Itoa(as.Rank), gradBytes)
	reporter := &progressReporter{api: a.cfg.API, every: a.cfg.ProgressEvery, log: log,
		base: structs.ProgressArgs{ExperimentID: as.Experiment.ID, AttemptID: as.Attempt.ID, Rank: as.Rank}}
	res, err := loop.Run(ctx, loop.Config{
		Spec: spec, Data: data, Store: a.cfg.Store,
		Ledger: clusterLedger{api: a.cfg.API, experimentID: as.Experiment.ID, attemptID: as.Attempt.ID},
		Resume: as.ResumeFrom != nil, Comm: comm, Logger: log, CodeVersion: version.String(),
		StopRequested: updates.stopRequested,
		Progress: func(p loop.Progress) {
			observe(p)
			if as.Rank == 0 { // the ranks are replicas: one report per step is enough
				reporter.report(p)
			}
		},
	})
	reporter.flush(ctx)
	if err != nil {
		return rankEnd{}, err
	}
	return rankEnd{stopped: res.StopRequested, step: res.Steps}, nil
}

// joinRanks connects this rank to the others of the attempt (a one-rank world opens no
// sockets). The attempt ID is the session, so a straggler of an earlier attempt
// cannot join this one.
func (a *Agent) joinRanks(ctx context.Context, as structs.Assignment) (*collective.Comm, error) {
	cfg := collective.DefaultConfig()
	cfg.Rank, cfg.World, cfg.Session, cfg.Logger = as.Rank, len(as.Attempt.Ranks), as.Attempt.ID, a.log
	cfg.Addrs = make([]string, cfg.World)
	for _, r := range as.Attempt.Ranks {
		if r.Rank < 0 || r.Rank >= cfg.World {
			return nil, fmt.Errorf("attempt %s: rank %d outside a world of %d", as.Attempt.ID, r.Rank, cfg.World)
		}
		cfg.Addrs[r.Rank] = r.Address
	}
	a.secureRing(&cfg)
	comm, err := collective.Join(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("attempt %s: join rank %d of %d: %w", as.Attempt.ID, as.Rank, cfg.World, err)
	}
	return comm, nil
}

// concreteAddress turns host:0 into host:<a free port>, so the node registers the
// address its ranks will listen on.
func concreteAddress(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	if port != "0" {
		return addr, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("pick a port on %s: %w", host, err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
