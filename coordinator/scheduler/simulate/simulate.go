// Package simulate runs the scheduling policy (coordinator/scheduler.Decide) over
// a synthetic cluster and workload in discrete-event time, in process and without
// training: gangs arrive, run for their real duration or their time limit, and are
// preempted by checkpoint-now — the victim commits a checkpoint, keeps its progress
// up to the request, stops, queues again and later resumes the rest. It checks
// invariants as it goes (no device given twice, no project above its limit, every
// gang finishes) and measures what issue #17's goals ask: placements per second of
// scheduler CPU, utilisation while work waits, fairness against weights, queue
// waits per class and work lost to preemption. Same Config, same Result.
package simulate

import (
	"container/heap"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/scheduler"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Config is one simulation; zero fields take the defaults of Defaults.
type Config struct {
	Agents          int
	DevicesPerAgent int
	Gangs           int
	Projects        int
	Seed            uint64
	// LostFraction of preempted runs miss their stop deadline and lose the work
	// since their last periodic checkpoint.
	LostFraction float64
	// Load is the offered load: the arrival rate times the mean work of a gang,
	// over the cluster's capacity. The default, 3, is a burst: three times what
	// the cluster can do arrives for about a third of the run, so that thousands
	// of gangs wait at its peak, and the rest of the run drains the backlog.
	Load     float64
	MaxRanks int
	// CheckpointTime is how long a preempted run takes to commit its checkpoint;
	// StopTimeout is the leader's preemption_timeout (its stop deadline);
	// CheckpointEvery is the periodic checkpoint cadence a late victim falls back to.
	CheckpointTime  time.Duration
	StopTimeout     time.Duration
	CheckpointEvery time.Duration
	Policy          scheduler.Policy

	// decide replaces scheduler.Decide and afterPass watches every pass: for the
	// tests of the simulation's own checks.
	decide    func(scheduler.Input) scheduler.Decision
	afterPass func(*sim)
}

// Defaults is the full-scale simulation of issue #17.
var Defaults = Config{Agents: 1000, DevicesPerAgent: 8, Gangs: 10000, Projects: 20, Seed: 1, Load: 3, MaxRanks: 64,
	CheckpointTime: 30 * time.Second, StopTimeout: 2 * time.Minute, CheckpointEvery: 20 * time.Minute}

func (c Config) withDefaults() Config {
	d := Defaults
	if c.Agents > 0 {
		d.Agents = c.Agents
	}
	if c.DevicesPerAgent > 0 {
		d.DevicesPerAgent = c.DevicesPerAgent
	}
	if c.Gangs > 0 {
		d.Gangs = c.Gangs
	}
	if c.Projects > 0 {
		d.Projects = c.Projects
	}
	if c.Seed != 0 {
		d.Seed = c.Seed
	}
	if c.Load > 0 {
		d.Load = c.Load
	}
	if c.MaxRanks > 0 {
		d.MaxRanks = c.MaxRanks
	}
	if c.CheckpointTime > 0 {
		d.CheckpointTime = c.CheckpointTime
	}
	if c.StopTimeout > 0 {
		d.StopTimeout = c.StopTimeout
	}
	if c.CheckpointEvery > 0 {
		d.CheckpointEvery = c.CheckpointEvery
	}
	d.LostFraction = c.LostFraction
	d.Policy = c.Policy
	d.decide, d.afterPass = c.decide, c.afterPass
	if d.decide == nil {
		d.decide = scheduler.Decide
	}
	return d
}

// attempt is a running attempt in the simulation.
type attempt struct {
	a       *structs.Attempt
	g       *gang
	start   int64
	gen     int
	idx     int   // index in sim.running
	devices []int // node*per + device index of every device it holds
	kept    int64 // work kept when its stop completes
	lost    int64 // work lost beyond the stop request
}

type sim struct {
	cfg       Config
	rng       *rand.Rand
	nodes     []*structs.Node
	nodeAt    map[string]int
	devAt     map[string]int // device ID → index on its node (every node has the same IDs)
	owner     []*attempt     // per node*per + device
	projects  []*structs.Project
	projMap   map[string]*structs.Project
	projAt    map[string]int
	classes   map[string]structs.PriorityClass
	gangs     []*gang
	byID      map[string]*gang
	exps      map[string]*structs.Experiment
	pending   []*gang
	running   []*attempt
	attempts  []*structs.Attempt // every attempt made
	held      []int              // devices per project
	usage     []decayed
	usageIn   map[string]map[string]float64
	pendingIn []*structs.Experiment
	runningIn []*structs.Attempt
	lostIn    map[string]int64
	events    events
	seq       uint64
	now       int64
	nextID    int
	capacity  int
	m         meter
	digest    hashWriter
}

// Run simulates cfg and returns what it measured, or the first invariant broken.
func Run(cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	s := &sim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5c4ed)), byID: map[string]*gang{},
		exps: map[string]*structs.Experiment{}, projMap: map[string]*structs.Project{}, projAt: map[string]int{},
		classes: map[string]structs.PriorityClass{}, usageIn: map[string]map[string]float64{}, lostIn: map[string]int64{},
		nodeAt: map[string]int{}, devAt: map[string]int{}, digest: hashWriter{fnv.New64a()}}
	start := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC).UnixNano()
	s.nodes = cluster(cfg.Agents, cfg.DevicesPerAgent)
	for i, n := range s.nodes {
		s.nodeAt[n.ID] = i
	}
	for i, d := range s.nodes[0].Devices {
		s.devAt[d.ID] = i
	}
	s.capacity = cfg.Agents * cfg.DevicesPerAgent
	s.owner = make([]*attempt, s.capacity)
	s.projects = projects(cfg.Projects, s.capacity)
	for i, p := range s.projects {
		s.projMap[p.Name], s.projAt[p.Name] = p, i
		s.usageIn[p.Name] = map[string]float64{"gpu": 0}
	}
	s.projMap[structs.DefaultProject] = structs.ImplicitDefaultProject()
	for _, c := range structs.DefaultPriorityClasses() {
		s.classes[c.Name] = c
	}
	s.held = make([]int, len(s.projects))
	s.usage = make([]decayed, len(s.projects))
	for i := range s.usage {
		s.usage[i].at = start
	}
	s.gangs = gangs(cfg, s.rng, s.projects, s.capacity, start)
	for _, g := range s.gangs {
		s.byID[g.exp.ID] = g
		s.schedule(event{t: g.arrival, kind: evArrive, g: g})
	}
	s.m.init(s, start)
	for s.events.Len() > 0 {
		s.now = s.events[0].t
		for s.events.Len() > 0 && s.events[0].t == s.now {
			if err := s.handle(heap.Pop(&s.events).(event)); err != nil {
				return nil, err
			}
		}
		if err := s.pass(); err != nil {
			return nil, err
		}
		next := s.now
		if s.events.Len() > 0 {
			next = s.events[0].t
		}
		s.m.interval(s, s.now, next)
	}
	for _, g := range s.gangs {
		if !g.ended {
			return nil, fmt.Errorf("%s never finished: %d pending and no event left", g.exp.ID, len(s.pending))
		}
	}
	return s.m.result(s), nil
}

// handle applies one event.
func (s *sim) handle(e event) error {
	switch e.kind {
	case evArrive:
		g := e.g
		g.exp.CreatedAt, g.exp.QueuedAt = s.now, s.now
		s.queue(g)
		s.m.arrivals++
		s.m.lastArrival = s.now
	case evEnd:
		at := e.att
		if at.g.att != at || at.gen != e.gen || at.a.Stop != nil {
			return nil // stale: the attempt was preempted since
		}
		g := at.g
		ran := s.now - at.start
		g.done += ran
		g.timeout = g.done < g.work
		s.release(at, structs.AttemptSucceeded)
		g.ended = true
		delete(s.exps, g.exp.ID)
		s.m.finished++
		if g.timeout {
			s.m.timedOut++
		}
	case evStop:
		at := e.att
		g := at.g
		g.done += at.kept
		s.m.lost += float64(at.lost) * float64(g.devices)
		s.release(at, structs.AttemptStopped)
		g.exp.QueuedAt = s.now
		s.queue(g)
	}
	return nil
}

func (s *sim) queue(g *gang) {
	g.pending = true
	g.exp.Status = structs.ExperimentPending
	s.exps[g.exp.ID] = g.exp
	s.pending = append(s.pending, g)
}

// release ends an attempt and frees its devices.
func (s *sim) release(at *attempt, status string) {
	for _, d := range at.devices {
		s.owner[d] = nil
	}
	s.advanceUsage(at.g.proj)
	s.held[at.g.proj] -= at.g.devices
	at.a.Status, at.a.EndedAt = status, s.now
	last := s.running[len(s.running)-1]
	s.running[at.idx], last.idx = last, at.idx
	s.running = s.running[:len(s.running)-1]
	at.g.att = nil
}

// pass calls the scheduler on the current state and applies its decision.
func (s *sim) pass() error {
	in := scheduler.Input{Now: time.Unix(0, s.now), Nodes: s.nodes, Experiments: s.exps, Projects: s.projMap,
		Classes: s.classes, Usage: s.usageIn, LostIfStopped: s.lostIn, Policy: s.cfg.Policy}
	// The input's slices are the simulation's own, reused: Decide keeps nothing.
	s.pendingIn, s.runningIn = s.pendingIn[:0], s.runningIn[:0]
	for _, g := range s.pending {
		s.pendingIn = append(s.pendingIn, g.exp)
	}
	for _, at := range s.running {
		s.runningIn = append(s.runningIn, at.a)
	}
	in.Pending, in.Running = s.pendingIn, s.runningIn
	clear(s.lostIn)
	every := int64(s.cfg.CheckpointEvery)
	for _, at := range s.running {
		s.lostIn[at.a.ID] = ((s.now - at.start) % every) / int64(time.Second) // steps = seconds of work
	}
	for i, p := range s.projects {
		s.advanceUsage(i)
		s.usageIn[p.Name]["gpu"] = s.usage[i].v
	}
	cpu0, wall0 := cpuNow(), time.Now()
	d := s.cfg.decide(in)
	s.m.cpu += cpuNow() - cpu0
	s.m.wall += time.Since(wall0)
	s.m.passes++
	if len(d.Plans)+len(d.Queue) != len(s.pending) {
		return fmt.Errorf("t=%d: %d plans and %d queue entries for %d pending", s.now, len(d.Plans), len(d.Queue), len(s.pending))
	}
	for _, pr := range d.Preemptions {
		if err := s.preempt(pr); err != nil {
			return err
		}
	}
	for _, p := range d.Plans {
		if err := s.start(p); err != nil {
			return err
		}
	}
	if len(d.Plans) > 0 {
		s.pending = slices.DeleteFunc(s.pending, func(g *gang) bool { return !g.pending })
	}
	for i, p := range s.projects {
		if lim := p.Limit("gpu"); lim >= 0 && s.held[i] > lim {
			return fmt.Errorf("t=%d: project %s holds %d gpu, over its limit %d", s.now, p.Name, s.held[i], lim)
		}
	}
	if s.cfg.afterPass != nil {
		s.cfg.afterPass(s)
	}
	return nil
}

// start creates the attempt of a plan, checking it against the cluster.
func (s *sim) start(p scheduler.Plan) error {
	g := s.byID[p.ExperimentID]
	if g == nil || !g.pending {
		return fmt.Errorf("t=%d: plan for %s, which is not pending", s.now, p.ExperimentID)
	}
	need := scheduler.NeedOf(g.exp)
	if len(p.Ranks) < need.Min || len(p.Ranks) > need.Max {
		return fmt.Errorf("t=%d: %s placed with %d ranks", s.now, g.exp.ID, len(p.Ranks))
	}
	s.nextID++
	at := &attempt{g: g, start: s.now, idx: len(s.running),
		a: &structs.Attempt{ID: "att-" + strconv.Itoa(s.nextID), ExperimentID: g.exp.ID, Ranks: p.Ranks,
			Status: structs.AttemptRunning, CreatedAt: s.now}}
	seen := map[int]bool{}
	for _, r := range p.Ranks {
		n, ok := s.nodeAt[r.NodeID]
		if !ok || seen[n] {
			return fmt.Errorf("t=%d: %s has a rank on unknown or repeated node %s", s.now, g.exp.ID, r.NodeID)
		}
		seen[n] = true
		if len(r.Devices) != need.Devices {
			return fmt.Errorf("t=%d: %s rank %d given %v", s.now, g.exp.ID, r.Rank, r.Devices)
		}
		for _, id := range r.Devices {
			d, ok := s.devAt[id]
			slot := n*s.cfg.DevicesPerAgent + d
			if !ok || s.owner[slot] != nil {
				return fmt.Errorf("t=%d: %s given %s/%s, which is unknown or held", s.now, g.exp.ID, r.NodeID, id)
			}
			s.owner[slot] = at
			at.devices = append(at.devices, slot)
		}
		s.digest.add(append([]string{r.NodeID}, r.Devices...)...)
	}
	s.digest.add("P", strconv.FormatInt(s.now, 10), g.exp.ID)
	s.advanceUsage(g.proj)
	s.held[g.proj] += g.devices
	g.pending, g.att = false, at
	g.exp.Status = structs.ExperimentRunning
	s.running = append(s.running, at)
	s.attempts = append(s.attempts, at.a)
	s.m.placed(s, g)
	end := s.now + (g.work - g.done)
	if g.limit > 0 {
		end = min(end, s.now+g.limit)
	}
	s.schedule(event{t: end, kind: evEnd, att: at, gen: at.gen})
	return nil
}

// preempt asks an attempt to checkpoint now: its progress up to the request is
// kept once the checkpoint commits, CheckpointTime later; a LostFraction of victims
// miss the deadline and fall back to their last periodic checkpoint.
func (s *sim) preempt(p scheduler.Preemption) error {
	var at *attempt
	if g := s.byID[p.ExperimentID]; g != nil {
		at = g.att
	}
	if at == nil || at.a.ID != p.AttemptID || at.a.Stop != nil {
		return fmt.Errorf("t=%d: preemption of %s, which is not running or already stopping", s.now, p.AttemptID)
	}
	at.a.Stop = &structs.StopRequest{Reason: structs.StopPreempt, Detail: p.Detail, For: p.For, RequestedAt: s.now,
		Deadline: s.now + int64(s.cfg.StopTimeout)}
	at.gen++
	g := at.g
	g.exp.Preemptions = append(g.exp.Preemptions, s.now)
	progress := s.now - at.start
	stopAt := s.now + int64(s.cfg.CheckpointTime)
	at.kept = progress
	if s.cfg.LostFraction > 0 && s.rng.Float64() < s.cfg.LostFraction {
		every := int64(s.cfg.CheckpointEvery)
		at.kept = progress / every * every
		at.lost = progress - at.kept
		stopAt = at.a.Stop.Deadline
		s.m.missed++
	}
	s.m.preempted(p)
	s.digest.add("X", strconv.FormatInt(s.now, 10), p.AttemptID, p.For)
	s.schedule(event{t: stopAt, kind: evStop, att: at})
	return nil
}

// decayed is a project's decayed usage, kept incrementally: between changes it
// holds a constant number of devices, so the integral advances in closed form, as
// scheduler.DecayedUsage computes it from the attempts.
type decayed struct {
	v  float64
	at int64
}

func (s *sim) advanceUsage(p int) {
	u := &s.usage[p]
	if s.now <= u.at {
		return
	}
	h := s.cfg.Policy.HalfLife
	if h <= 0 {
		h = scheduler.DefaultHalfLife
	}
	f := math.Exp2(-float64(s.now-u.at) / float64(h))
	u.v = u.v*f + float64(s.held[p])*h.Seconds()/math.Ln2*(1-f)
	u.at = s.now
}
