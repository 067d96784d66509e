// Package scheduler decides where and when experiments run. It is pure: given the
// pending queue, the nodes, what already runs and the projects' quotas and usage,
// Decide returns the attempts to create, the runs to preempt and why everything else
// waits; the leader commits those through Raft. Nothing is remembered between
// passes, so a new leader decides as the old one would have.
//
// Placement is gang placement — every rank of an attempt or none — on nodes that are
// up, not draining and have at least devices_per_worker usable devices of the
// requested kind (healthy or degraded, not cordoned), with each rank of one attempt
// on a distinct node and given specific devices.
//
// The policy, in the order a pass applies it (Decide):
//   - order: priority class (higher first); then experiments that stay within their
//     project's guaranteed quota before those that borrow; then dominant-resource
//     fair share among projects (lower first); then age (older first); then ID;
//   - a project never holds more than its quota plus its borrowing limit;
//   - EASY backfill: the first experiment that cannot start (the head) gets the
//     devices it will have when running work reaches its time limit reserved, and
//     later ones start now only outside them or if they end before the head starts;
//   - preemption at a checkpoint: a higher class, or a project reclaiming its quota
//     from borrowers, asks the fewest lowest-priority runs to checkpoint and stop.
package scheduler

import (
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Plan is one attempt to create: the experiment and its ranks in rank order.
type Plan struct {
	ExperimentID string
	Ranks        []structs.Rank
	// Reason says why it starts now, for the audit record: its class and project,
	// and whether it was backfilled onto devices reserved for the queue's head.
	Reason string
}

// Input is everything a scheduling pass looks at.
type Input struct {
	Now time.Time
	// Pending are the pending experiments, in any order: Decide orders them.
	Pending []*structs.Experiment
	Nodes   []*structs.Node
	// Running are the running attempts; those with Stop set are being stopped.
	Running []*structs.Attempt
	// Experiments are the specs of pending and running experiments, by ID.
	Experiments map[string]*structs.Experiment
	// Projects are the projects by name, the default one included (the implicit
	// default is assumed when it is absent). Classes are the priority classes by
	// name (structs.DefaultPriorityClasses when empty).
	Projects map[string]*structs.Project
	Classes  map[string]structs.PriorityClass
	// Usage is, per project and device kind, the decayed device-seconds
	// (DecayedUsage).
	Usage map[string]map[string]float64
	// LostIfStopped is, per running attempt ID, the steps of work since its newest
	// committed checkpoint; missing is 0. Victims losing least are preferred.
	LostIfStopped map[string]int64
	Policy        Policy
}

// Preemption asks a running attempt to checkpoint and stop.
type Preemption struct {
	AttemptID    string
	ExperimentID string
	// For is the experiment the devices go to.
	For string
	// Detail says why, for people: "for experiment X: priority urgent over batch".
	Detail string
}

// QueueEntry says why a pending experiment waits.
type QueueEntry struct {
	ExperimentID string
	Position     int    // 1-based, in policy order
	Reason       string // for people
	// EstimatedStart is when it is expected to start: known for the head of the
	// queue (from running work's time limits) and for experiments that wait for
	// preempted runs (their stop deadlines); zero otherwise.
	EstimatedStart time.Time
}

// Decision is the outcome of one pass.
type Decision struct {
	Plans       []Plan
	Preemptions []Preemption
	// Queue is every pending experiment not placed in this pass, in policy order.
	Queue []QueueEntry
}

// Need is what one rank of an experiment asks of its node.
type Need struct {
	Kind    string // device kind: "cpu" or "gpu"
	Devices int
	Min     int
	Max     int
}

// NeedOf reads an experiment's request with the defaults filled: cpu, one device per
// worker, min 1, max = min.
func NeedOf(e *structs.Experiment) Need {
	w := e.Spec.Workers
	n := Need{Kind: w.Device, Devices: w.DevicesPerWorker, Min: w.Min, Max: w.Max}
	if n.Kind == "" {
		n.Kind = "cpu"
	}
	n.Devices = max(n.Devices, 1)
	n.Min = max(n.Min, 1)
	n.Max = max(n.Max, n.Min)
	return n
}
