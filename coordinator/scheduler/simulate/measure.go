package simulate

import (
	"hash"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/scheduler"
)

// Result is what a simulation measured.
type Result struct {
	Config     Config
	Passes     int
	Placements int
	// SchedulerCPU is the CPU time spent inside scheduler.Decide (the whole
	// process's, garbage collection included); SchedulerWall its wall time.
	SchedulerCPU  time.Duration
	SchedulerWall time.Duration
	MaxPending    int
	MeanPending   float64 // time-weighted, over the time some gang waits
	Makespan      time.Duration
	Finished      int
	TimedOut      int
	// Utilisation is busy device-time over all device-time during the intervals
	// when some gang was pending; Contended is the length of those intervals.
	Utilisation float64
	Contended   time.Duration
	// TailUtilisation is Utilisation after the last arrival, over Tail, when the
	// queue drains to its widest gangs and to projects held at their borrowing
	// limits.
	TailUtilisation float64
	Tail            time.Duration
	// Startable is Utilisation over the intervals when some pending gang was
	// within its project's limit: idle devices a scheduler could have used.
	Startable     float64
	StartableTime time.Duration
	// FairFrom and FairTo bound the fairness window: from the first moment every
	// project has pending work to the last arrival. Jain is Jain's index of
	// share/weight-share over the projects that had pending work throughout it
	// (Share.Always), shares and weights taken among those projects.
	FairFrom, FairTo time.Duration // since the first arrival
	Shares           []Share
	Jain             float64
	Always           int // projects that had pending work throughout the window
	Waits            []Waits
	Preemptions      int
	Reclaims         int // of Preemptions, those that reclaimed quota (the rest: priority)
	Missed           int // victims that missed their stop deadline
	// LostDeviceHours is the work lost beyond the checkpoint requests.
	LostDeviceHours float64
	Digest          uint64
}

// Share is a project's part of the device-time in the fairness window.
type Share struct {
	Project     string
	Weight      float64
	Share       float64
	WeightShare float64
	Always      bool // had pending work throughout the window
}

// Waits is the queue wait of one priority class: from queued (submitted, or
// requeued after a preemption) to placed, over every placement.
type Waits struct {
	Class    string
	Count    int
	P50, P99 time.Duration
}

// PlacementsPerSecond is placements over the scheduler's CPU time.
func (r *Result) PlacementsPerSecond() float64 {
	return float64(r.Placements) / r.SchedulerCPU.Seconds()
}

// meter accumulates the measurements over the run.
type meter struct {
	first                    int64
	cpu, wall                time.Duration
	passes                   int
	placements               int
	arrivals                 int
	finished                 int
	timedOut                 int
	lastArrival              int64
	maxPending               int
	pendingTime              float64 // pending count × ns
	contended                float64 // ns
	tailContended, tailBusy  float64
	startable, startableBusy float64
	busy                     float64 // busy devices × ns while contended
	waits                    [3][]int64
	preemptions              int
	reclaims                 int
	missed                   int
	lost                     float64 // work ns × devices

	// Per project: device-ns held within the fairness window, and whether it ran
	// out of pending work there.
	fairFrom  int64 // 0 until every project has pending work
	used      []float64
	gap       []bool
	pendingOf []int
}

func (m *meter) init(s *sim, first int64) {
	m.first = s.gangs[0].arrival
	m.used = make([]float64, len(s.projects))
	m.gap = make([]bool, len(s.projects))
	m.pendingOf = make([]int, len(s.projects))
}

func (m *meter) placed(s *sim, g *gang) {
	m.placements++
	m.waits[g.class] = append(m.waits[g.class], s.now-g.exp.QueuedAt)
}

func (m *meter) preempted(p scheduler.Preemption) {
	m.preemptions++
	if strings.Contains(p.Detail, "reclaims") {
		m.reclaims++
	}
}

// interval accounts for the state between this pass and the next event.
func (m *meter) interval(s *sim, from, to int64) {
	dt := float64(to - from)
	busy := 0
	for _, h := range s.held {
		busy += h
	}
	if n := len(s.pending); n > 0 {
		m.contended += dt
		m.busy += float64(busy) * dt
		if from >= m.lastArrivalBound(s) {
			m.tailContended += dt
			m.tailBusy += float64(busy) * dt
		}
		for _, g := range s.pending {
			if lim := s.projects[g.proj].Limit("gpu"); lim < 0 || s.held[g.proj]+g.devices <= lim {
				m.startable += dt
				m.startableBusy += float64(busy) * dt
				break
			}
		}
		m.pendingTime += float64(n) * dt
		m.maxPending = max(m.maxPending, n)
	}
	clear(m.pendingOf)
	for _, g := range s.pending {
		m.pendingOf[g.proj]++
	}
	end := m.lastArrivalBound(s)
	if m.fairFrom == 0 && from < end && !slices.Contains(m.pendingOf, 0) {
		m.fairFrom = from
	}
	if m.fairFrom == 0 || from >= end {
		return
	}
	to = min(to, end)
	for p, n := range m.pendingOf {
		if n == 0 && to > from {
			m.gap[p] = true
		}
		m.used[p] += float64(s.held[p]) * float64(to-from)
	}
}

// lastArrivalBound is the end of the fairness window: the last arrival of all.
func (m *meter) lastArrivalBound(s *sim) int64 { return s.gangs[len(s.gangs)-1].arrival }

func (m *meter) result(s *sim) *Result {
	r := &Result{Config: s.cfg, Passes: m.passes, Placements: m.placements, SchedulerCPU: m.cpu, SchedulerWall: m.wall,
		MaxPending: m.maxPending, Makespan: time.Duration(s.now - m.first), Finished: m.finished, TimedOut: m.timedOut,
		Contended: time.Duration(m.contended), Preemptions: m.preemptions, Reclaims: m.reclaims, Missed: m.missed,
		LostDeviceHours: m.lost / float64(time.Hour), Digest: s.digest.h.Sum64()}
	if m.startable > 0 {
		r.Startable = m.startableBusy / (m.startable * float64(s.capacity))
		r.StartableTime = time.Duration(m.startable)
	}
	if m.tailContended > 0 {
		r.TailUtilisation = m.tailBusy / (m.tailContended * float64(s.capacity))
		r.Tail = time.Duration(m.tailContended)
	}
	if m.contended > 0 {
		r.Utilisation = m.busy / (m.contended * float64(s.capacity))
		r.MeanPending = m.pendingTime / m.contended
	}
	end := m.lastArrivalBound(s)
	if m.fairFrom > 0 {
		r.FairFrom, r.FairTo = time.Duration(m.fairFrom-m.first), time.Duration(end-m.first)
	}
	var total, wtotal float64
	for p, pr := range s.projects {
		if m.fairFrom > 0 && !m.gap[p] {
			total += m.used[p]
			wtotal += pr.Weight
			r.Always++
		}
	}
	var sum, sq float64
	for p, pr := range s.projects {
		sh := Share{Project: pr.Name, Weight: pr.Weight, Always: m.fairFrom > 0 && !m.gap[p]}
		if sh.Always && total > 0 {
			sh.Share, sh.WeightShare = m.used[p]/total, pr.Weight/wtotal
			x := sh.Share / sh.WeightShare
			sum += x
			sq += x * x
		}
		r.Shares = append(r.Shares, sh)
	}
	if sq > 0 {
		r.Jain = sum * sum / (float64(r.Always) * sq)
	}
	for c, w := range m.waits {
		slices.Sort(w)
		r.Waits = append(r.Waits, Waits{Class: classNames[c], Count: len(w), P50: quantile(w, 0.5), P99: quantile(w, 0.99)})
	}
	return r
}

func quantile(sorted []int64, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return time.Duration(sorted[max(i, 0)])
}

// hashWriter is the digest of every decision, to compare two runs.
type hashWriter struct{ h hash.Hash64 }

func (w hashWriter) add(parts ...string) {
	for _, p := range parts {
		w.h.Write([]byte(p))
		w.h.Write([]byte{0})
	}
}
