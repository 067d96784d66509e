package models

import (
	"fmt"

	"github.com/dxtrain/dxtrain/kernels"
)

// fusedUpdate is a parameter, by its position in the graph's params, and the epilogue of
// its gradient's product that StepUpdate arms with the parameter's optimizer step.
type fusedUpdate struct {
	param  int
	update *kernels.OptimizerEpilogue
}

// StepUpdate runs Step on b and then one step of opt with learning rate lr over the
// graph's parameters: the result, parameters and optimizer state, is that of Step
// followed by opt.Step(gr.Params(), lr), bit for bit. But the weights whose gradient is
// one product cut into rows (the dense layers') are updated inside that product, each
// tile of rows as soon as it is finished (kernels.OptimizerEpilogue), and the pass after
// the step covers only the rest. Gradients are still left in every Param's Grad.
//
// Use it where nothing has to happen between the backward pass and the update: a
// data-parallel rank sums its gradients with the others' first, and keeps the two apart.
// opt must have been made for gr.Params(); another one is an error, and so is a batch
// Step refuses, before anything changes. An error from the step itself (an op failing
// on its inputs) may leave some parameters updated and others not.
func (gr *Graph) StepUpdate(b Batch, opt *Optimizer, lr float64) (float32, error) {
	if err := gr.checkOptimizer(opt); err != nil {
		return 0, err
	}
	if err := gr.load(b); err != nil {
		return 0, err
	}
	h := opt.begin(lr)
	defer gr.disarm()
	for _, f := range gr.updates {
		if err := opt.arm(f.update, f.param, gr.params[f.param], h); err != nil {
			opt.steps-- // nothing was updated
			return 0, fmt.Errorf("graph %s: %w", gr.net.Architecture, err)
		}
	}
	loss, err := gr.run()
	if err != nil {
		return 0, err
	}
	opt.finish(gr.params, h, gr.fused)
	return loss, nil
}

// disarm leaves the gradients' products computing gradients only.
func (gr *Graph) disarm() {
	for _, f := range gr.updates {
		f.update.Disarm()
	}
}

// checkOptimizer reports an optimizer whose state does not match the graph's parameters.
func (gr *Graph) checkOptimizer(opt *Optimizer) error {
	for _, slot := range opt.slots {
		if len(slot) != len(gr.params) {
			return fmt.Errorf("graph %s: optimizer state for %d parameters, the graph has %d", gr.net.Architecture, len(slot), len(gr.params))
		}
		for i, s := range slot {
			if p := gr.params[i]; len(s.Data) != len(p.Data) {
				return fmt.Errorf("graph %s: optimizer state %s has %d values, parameter %s %d", gr.net.Architecture, s.Name, len(s.Data), p.Name, len(p.Data))
			}
		}
	}
	return nil
}
