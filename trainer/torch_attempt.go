package trainer

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/datasets/shards"
	"github.com/dxtrain/dxtrain/experiments"
	"github.com/dxtrain/dxtrain/python"
	"github.com/dxtrain/dxtrain/trainer/runtime/bundle"
	"github.com/dxtrain/dxtrain/trainer/runtime/channel"
	"github.com/dxtrain/dxtrain/trainer/runtime/gang"
)

// rendezvousPatience bounds how long a worker waits for rank 0's agent to publish
// where the ranks meet.
const rendezvousPatience = 2 * time.Minute

// trainTorch runs this node's ranks of a runtime: torch attempt: it lays out the work
// directory (code bundle, dataset, resume checkpoint, the dxtrain Python package),
// agrees the rendezvous through the coordinator, opens the channel, launches one
// process per device and owns them until the gang ends. Any rank failing, hanging or
// losing its device ends every local rank; the coordinator ends the other nodes'. A
// gang that exits cleanly after its ranks said they stopped on request ends stopped
// (torchHost.end).
func (a *Agent) trainTorch(ctx context.Context, as structs.Assignment, spec *experiments.Spec, updates *attemptUpdates, log *slog.Logger) (rankEnd, error) {
	work, err := newTorchWorkDir(a.cfg.WorkDir, as)
	if err != nil {
		return rankEnd{}, err
	}
	defer os.RemoveAll(work.root) // the logs live elsewhere and stay
	w := torchWorld{groupRank: as.Rank, groups: len(as.Attempt.Ranks), localWorld: max(spec.Workers.DevicesPerWorker, 1)}
	for _, r := range as.Attempt.Ranks {
		if r.Rank == as.Rank {
			w.devices = r.Devices
		}
	}
	if w.rendezvous, err = a.rendezvous(ctx, as, updates); err != nil {
		return rankEnd{}, err
	}
	if err := bundle.Fetch(ctx, a.cfg.Store, as.Experiment.CodeBundle, work.code, bundle.DefaultMaxBytes); err != nil {
		return rankEnd{}, fmt.Errorf("code bundle: %w", err)
	}
	if info, err := os.Stat(filepath.Join(work.code, filepath.FromSlash(spec.Code.Entrypoint))); err != nil || !info.Mode().IsRegular() {
		return rankEnd{}, fmt.Errorf("code.entrypoint %s is not a file in the code bundle %s", spec.Code.Entrypoint, as.Experiment.CodeBundle)
	}
	if err := python.Install(work.python); err != nil {
		return rankEnd{}, err
	}
	datasetHash, err := a.cfg.API.DatasetManifest(ctx, spec.Dataset.ID)
	if err != nil {
		return rankEnd{}, err
	}
	if err := shards.Stage(ctx, a.cfg.Store, datasetHash, work.data); err != nil {
		return rankEnd{}, err
	}
	ledger := clusterLedger{api: a.cfg.API, experimentID: as.Experiment.ID, attemptID: as.Attempt.ID}
	var resume *torchResume
	if as.ResumeFrom != nil {
		if resume, err = resumeTorch(ctx, ledger, a.cfg.Store, work.resume, log); err != nil {
			return rankEnd{}, err
		}
	}
	host := &torchHost{api: a.cfg.API, store: a.cfg.Store, ledger: ledger, as: as, spec: spec, world: w.size(), threads: a.rankThreads(w),
		datasetHash: datasetHash, maxBytes: a.cfg.MaxCheckpointBytes, log: log, lastStep: -1, updates: updates,
		reporter: &progressReporter{api: a.cfg.API, every: a.cfg.ProgressEvery, log: log,
			base: structs.ProgressArgs{ExperimentID: as.Experiment.ID, AttemptID: as.Attempt.ID, Rank: as.Rank}}}
	if resume != nil {
		host.parent, host.lastStep = resume.record.ManifestSHA, resume.record.Step
		log.Info("resuming", "step", resume.record.Step, "checkpoint", resume.record.ID)
	}
	defer host.reporter.flush(context.WithoutCancel(ctx))
	if err := a.launchGang(ctx, as, spec, w, work, host, resume, log); err != nil {
		return rankEnd{}, err
	}
	return host.end(as.Rank == 0)
}

// launchGang opens the channel, starts the local ranks and waits for the gang's end.
func (a *Agent) launchGang(ctx context.Context, as structs.Assignment, spec *experiments.Spec, w torchWorld, work *torchWorkDir, host *torchHost, resume *torchResume, log *slog.Logger) error {
	secret, err := channel.NewSecret()
	if err != nil {
		return err
	}
	python, err := exec.LookPath(a.cfg.Python)
	if err != nil {
		return fmt.Errorf("the agent's python %q: %w", a.cfg.Python, err)
	}
	var started atomic.Pointer[gang.Gang] // the channel may hear from a rank before Start returns
	touch := func(rank int) {
		if g := started.Load(); g != nil {
			g.Touch(rank)
		}
	}
	srv, err := a.openChannel(work, secret, w, spec, host, resume, touch)
	if err != nil {
		return err
	}
	defer srv.Close()
	cfg := gang.DefaultConfig()
	cfg.AttemptID, cfg.LogDir, cfg.SilenceTimeout, cfg.Logger = a.gangID(as), work.logs, spec.Silence(), log
	for local := range w.localWorld {
		env, err := a.torchEnv(spec, as, w, local, work, secret)
		if err != nil {
			return err
		}
		argv := append([]string{python, spec.Code.Entrypoint}, spec.Code.Args...)
		cfg.Processes = append(cfg.Processes, gang.Process{Rank: w.globalRank(local), Argv: argv, Dir: work.code, Env: env})
	}
	g, err := gang.Start(ctx, cfg)
	if err != nil {
		return err
	}
	started.Store(g)
	stop := a.watchDevices(ctx, w.devices, g)
	defer stop()
	log.Info("ranks launched", "world", w.size(), "local", w.localWorld, "rendezvous", w.rendezvous)
	return g.Wait()
}

// rendezvous returns where the attempt's ranks meet: rank 0's agent picks a free port
// on its host and publishes it through the coordinator; the others wait for it in
// their assignments.
func (a *Agent) rendezvous(ctx context.Context, as structs.Assignment, updates *attemptUpdates) (string, error) {
	if as.Attempt.Rendezvous != "" {
		return as.Attempt.Rendezvous, nil
	}
	if as.Rank == 0 {
		host, _, err := net.SplitHostPort(a.cfg.Address)
		if err != nil {
			return "", err
		}
		addr, err := concreteAddress(net.JoinHostPort(host, "0"))
		if err != nil {
			return "", err
		}
		if _, err := a.cfg.API.PublishRendezvous(ctx, structs.RendezvousArgs{AttemptID: as.Attempt.ID, Rendezvous: addr}); err != nil {
			return "", fmt.Errorf("attempt %s: publish the rendezvous: %w", as.Attempt.ID, err)
		}
		return addr, nil
	}
	deadline := time.NewTimer(rendezvousPatience)
	defer deadline.Stop()
	for {
		att, changed := updates.latest()
		if att.Rendezvous != "" {
			return att.Rendezvous, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return "", fmt.Errorf("attempt %s: rank 0's agent published no rendezvous within %s", as.Attempt.ID, rendezvousPatience)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// watchDevices ends the gang as soon as one of its devices turns unhealthy here,
// without waiting for the coordinator to hear of it at the next heartbeat.
func (a *Agent) watchDevices(ctx context.Context, devices []string, g *gang.Gang) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if id, ok := a.health.unhealthy(devices); ok {
				g.Kill(fmt.Errorf("device %s turned unhealthy", id))
				return
			}
		}
	}()
	return cancel
}
