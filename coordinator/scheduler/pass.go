package scheduler

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// never is the expected end of a run without a time limit: for backfill it holds
// its devices for ever.
const never = math.MaxInt64

// pass is one call of Decide: the input turned into indexed counts that the policy
// updates as it places, holds and reserves. No decision outlives the call; the
// buffers do (passes), because a leader calls Decide every second with thousands of
// experiments, and allocating them afresh each time made garbage collection a
// quarter of the scheduler's CPU.
type pass struct {
	in     *Input
	pol    Policy
	now    int64 // unix ns
	charge float64

	nodes   []*structs.Node // eligible, by ID
	nodeAt  map[string]int32
	nodeIDs []string // the IDs nodeAt was built for
	pools   []*pool  // one per device kind on eligible nodes, by kind
	poolBuf []*pool
	poolAt  map[string]int
	runs    []run
	locs    []rankLoc // every run's ranks on eligible nodes, grouped by run
	onNode  []int32   // per node, its ranks' range in byNode
	byNode  []int32   // locs indices grouped by node

	projects  []*project
	projStore []*project
	projAt    map[string]int32
	classes   map[string]structs.PriorityClass
	values    []int // distinct class values, highest first
	// classNames and classValues list the classes (in map order: only looked up).
	classNames  []string
	classValues []int

	pending []*pend
	pendBuf []pend

	limits map[string]int64 // parsed time limits by their text

	// scratch, one per node, zero between uses
	extra   []int32
	mark    []bool
	touched []int32

	preempted bool // one preemptor per pass
	tries     int
	failed    []failedTry
	bounds    []bound
	reasons   map[uint64]string
	placed    []placedRun
	placedOn  []int32

	// buffers of the steps
	fill    []int32
	start   []int32
	sorted  []*pend
	cursors []cursor
	heap    []*cursor
	picked  []int32
	choices []choice
	rel     []release
	cands   []cand
	chosen  []int32
	freed   []int
	ws      []*pend

	out Decision
}

var passes = sync.Pool{New: func() any {
	return &pass{nodeAt: map[string]int32{}, poolAt: map[string]int{}, projAt: map[string]int32{},
		limits: map[string]int64{}, reasons: map[uint64]string{}}
}}

// pool is one device kind's accounting.
type pool struct {
	kind   string
	cap    int      // usable devices of the kind on eligible nodes
	most   int      // the most usable devices of the kind on one node
	free   []int32  // per node: usable, not held by a run, not given or held this pass
	resv   []int32  // per node: of free, reserved for this kind's head of the queue
	hold   []int32  // per node: devices held back for a preemptor (not in free)
	all    capIndex // nodes by free
	unres  capIndex // nodes by free-resv
	ids    [][]string
	idsOK  []bool
	idsBuf []string
	exact  []bool // per node: free was counted from device IDs, not by subtraction
	head   *pend  // the highest-ordered experiment of this kind that cannot start
	start  int64  // when the head is expected to start
	// resvNodes are the nodes with devices reserved for the head, in node order.
	resvNodes []int32
	// minVictim is the lowest class value among the runs that may be preempted.
	minVictim int
}

func (p *pool) reset(kind string, nodes int) {
	p.kind, p.cap, p.most, p.head, p.start, p.minVictim = kind, 0, 0, nil, 0, math.MaxInt
	p.resvNodes = p.resvNodes[:0]
	p.free, p.resv, p.hold = resize(p.free, nodes), resize(p.resv, nodes), resize(p.hold, nodes)
	p.ids, p.idsOK, p.exact = resize(p.ids, nodes), resize(p.idsOK, nodes), resize(p.exact, nodes)
	p.idsBuf = p.idsBuf[:0]
}

// run is a running attempt with what the policy needs of it.
type run struct {
	a       *structs.Attempt
	e       *structs.Experiment // nil when the input lacks its spec
	need    Need
	pool    int   // -1: its kind is on no eligible node
	proj    int32 // -1 without a spec
	value   int   // class value
	devices int   // across all ranks, eligible nodes or not
	loc0    int32 // its ranks in locs: [loc0, loc1)
	loc1    int32
	// forPend is the pending experiment a stopping run's devices are promised to
	// (its Stop.For, or the preemptor of this pass), -1 for none.
	forPend    int32
	preemptive bool // not stopping, not protected: a possible victim
	endKnown   bool
	end        int64
	project    string // names, as read
	class      string
}

// rankLoc is one rank of a run on an eligible node.
type rankLoc struct {
	node int32
	run  int32
	devs int32
	rank *structs.Rank
}

// project is a project's quota, weight and what it holds, per pool.
type project struct {
	name      string
	undefined bool
	weight    float64
	quota     []int
	limit     []int // -1: no limit
	held      []int
	usage     []float64
	minVictim []int // lowest class value among its preemptible runs, per pool
	share     float64
}

// pend is a pending experiment.
type pend struct {
	e       *structs.Experiment
	idx     int32
	need    Need
	pool    int
	proj    int32
	rank    int // class rank: index into pass.values, -1 for an unknown class
	value   int
	age     int64
	bad     string  // why it cannot be placed whatever the capacity
	waiting []int32 // stopping runs whose devices are promised to it
	holding bool    // it waits for them, with free devices held for it
	limit   int64   // time limit ns, 0 none; valid once limitOK
	limitOK bool
	id      string // names, as read
	project string
	class   string
}

// placedRun is an attempt this pass created, for the head's timeline.
type placedRun struct {
	pool     int
	d        int32
	from, to int32 // its nodes in placedOn
	end      int64
}

// resize returns s with n zero elements, reusing its array when it is big enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// init reads the input into the pass's buffers: nodes and their free devices,
// running attempts, projects and classes, then the pending experiments.
func (s *pass) init(in *Input) {
	s.in, s.pol = in, in.Policy.withDefaults()
	s.now = 0
	if !in.Now.IsZero() {
		s.now = in.Now.UnixNano()
	}
	s.charge = s.pol.chargeHorizon()
	s.preempted, s.tries = false, 0
	s.failed, s.placed, s.placedOn, s.bounds = s.failed[:0], s.placed[:0], s.placedOn[:0], s.bounds[:0]
	clear(s.reasons)
	if len(s.limits) > 1024 {
		clear(s.limits)
	}
	s.out = Decision{Queue: make([]QueueEntry, 0, len(in.Pending))}
	s.classes = in.Classes
	if len(s.classes) == 0 {
		s.classes = map[string]structs.PriorityClass{}
		for _, c := range structs.DefaultPriorityClasses() {
			s.classes[c.Name] = c
		}
	}
	s.values, s.classNames, s.classValues = s.values[:0], s.classNames[:0], s.classValues[:0]
	for name, c := range s.classes {
		s.classNames, s.classValues = append(s.classNames, name), append(s.classValues, c.Value)
		if !slices.Contains(s.values, c.Value) {
			s.values = append(s.values, c.Value)
		}
	}
	slices.SortFunc(s.values, func(a, b int) int { return b - a })
	s.buildNodes()
	s.buildRuns()
	s.buildPending()
}

// finish lets go of the input and the output before the pass goes back to passes.
func (s *pass) finish() {
	s.in, s.out, s.classes = nil, Decision{}, nil
	for _, p := range s.pools {
		p.head = nil
	}
}

// at turns unix nanoseconds into a time for the output.
func (s *pass) at(ns int64) time.Time { return time.Unix(0, ns) }
