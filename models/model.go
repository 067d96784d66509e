package models

// Model is a network being trained: one forward and backward pass per Step, with the
// gradients left in Params' Grad. The training loop sees only this interface, so the
// gorgonia graph can be swapped for another engine without touching the loop.
type Model interface {
	// Network is the architecture the model computes.
	Network() Network
	// Params are the trainable tensors, in a stable order; an optimizer updates their
	// Data in place between steps.
	Params() []*Param
	// Step runs forward and backward on one batch and returns its weighted loss.
	Step(b Batch) (float32, error)
	// Close releases the engine's resources.
	Close() error
}

// UpdateStepper is a Model that can also run a step and the optimizer's update after it
// as one (Graph.StepUpdate), updating some parameters while the backward pass still has
// their gradients in cache. The result is that of Step and then opt.Step, to the bit.
type UpdateStepper interface {
	StepUpdate(b Batch, opt *Optimizer, lr float64) (float32, error)
}

// TrainStep runs one training step of m on b with opt at learning rate lr: Step and then
// opt.Step over m's parameters, or both at once where m can (UpdateStepper). It is for
// a model trained alone; ranks that sum their gradients first call the two apart.
func TrainStep(m Model, b Batch, opt *Optimizer, lr float64) (float32, error) {
	if u, ok := m.(UpdateStepper); ok {
		return u.StepUpdate(b, opt, lr)
	}
	loss, err := m.Step(b)
	if err != nil {
		return 0, err
	}
	opt.Step(m.Params(), lr)
	return loss, nil
}

// New compiles net for batches of exactly batch samples with the gorgonia engine.
func New(net Network, params []*Param, batch int) (Model, error) {
	return NewGraph(net, params, batch)
}

// Network is the architecture the graph computes.
func (gr *Graph) Network() Network { return gr.net }

// Params are the parameters the graph reads and whose gradients it writes.
func (gr *Graph) Params() []*Param { return gr.params }
