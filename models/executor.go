package models

import (
	"fmt"
	"time"

	G "gorgonia.org/gorgonia"
)

// executor runs a compiled graph: every op node in topological order, on its children's
// values, each with one argument slice reused from step to step. It stands in for
// gorgonia's tape machine in the step loop, which allocates an argument slice per
// instruction and rebinds every value each run (84 allocations per MLP step); the ops of
// models/ops own their outputs, so no register file is needed and a step allocates
// nothing. Leaves (the input, the targets, parameters, constants) keep the values bound
// to them when the graph was built; the Graph refills those in place.
type executor struct {
	steps  []execStep
	values []G.Value // by slot: a leaf's bound value, an op node's latest output
	slots  map[*G.Node]int

	elapsed   []time.Duration // by step: its time over timedRuns runs; nil when not timed (Graph.TimeOps)
	timedRuns int
}

type execStep struct {
	node *G.Node // for error messages
	op   G.Op
	args []int     // slots of the children, in the op's argument order
	in   []G.Value // the arguments, refilled every run
	out  int
}

func newExecutor(g *G.ExprGraph) (*executor, error) {
	sorted, err := G.Sort(g) // outputs first
	if err != nil {
		return nil, fmt.Errorf("sort the graph: %w", err)
	}
	e := &executor{slots: make(map[*G.Node]int, len(sorted))}
	for i := len(sorted) - 1; i >= 0; i-- {
		n := sorted[i]
		slot := len(e.values)
		e.slots[n] = slot
		if n.Op() == nil {
			v := n.Value()
			if v == nil {
				return nil, fmt.Errorf("graph input %s has no value bound", n.Name())
			}
			e.values = append(e.values, v)
			continue
		}
		e.values = append(e.values, nil)
		st := execStep{node: n, op: n.Op(), out: slot}
		for it := g.From(n.ID()); it.Next(); {
			c, ok := it.Node().(*G.Node)
			if !ok {
				return nil, fmt.Errorf("node %s: child of type %T", n.Name(), it.Node())
			}
			cs, ok := e.slots[c]
			if !ok {
				return nil, fmt.Errorf("node %s: child %s is not ordered before it", n.Name(), c.Name())
			}
			st.args = append(st.args, cs)
		}
		st.in = make([]G.Value, len(st.args))
		e.steps = append(e.steps, st)
	}
	return e, nil
}

// slot is where the value of n lives after a run.
func (e *executor) slot(n *G.Node) (int, error) {
	s, ok := e.slots[n]
	if !ok {
		return 0, fmt.Errorf("node %s is not in the graph", n.Name())
	}
	return s, nil
}

// bind replaces the value of the leaf n.
func (e *executor) bind(n *G.Node, v G.Value) error {
	s, err := e.slot(n)
	if err != nil {
		return err
	}
	if n.Op() != nil {
		return fmt.Errorf("node %s is not a leaf", n.Name())
	}
	e.values[s] = v
	return nil
}

// run executes every op once.
func (e *executor) run() error {
	for i := range e.steps {
		st := &e.steps[i]
		for j, a := range st.args {
			st.in[j] = e.values[a]
		}
		var start time.Time
		if e.elapsed != nil {
			start = time.Now()
		}
		v, err := st.op.Do(st.in...)
		if e.elapsed != nil {
			e.elapsed[i] += time.Since(start)
		}
		if err != nil {
			return fmt.Errorf("%v (node %s): %w", st.op, st.node.Name(), err)
		}
		e.values[st.out] = v
	}
	if e.elapsed != nil {
		e.timedRuns++
	}
	return nil
}
