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

// New compiles net for batches of exactly batch samples with the gorgonia engine.
func New(net Network, params []*Param, batch int) (Model, error) {
	return NewGraph(net, params, batch)
}

// Network is the architecture the graph computes.
func (gr *Graph) Network() Network { return gr.net }

// Params are the parameters the graph reads and whose gradients it writes.
func (gr *Graph) Params() []*Param { return gr.params }
