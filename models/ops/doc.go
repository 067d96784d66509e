// Package ops holds dxtrain's own gorgonia ops: fused dense and convolution layers,
// max-pooling and the loss, each a thin wrapper over a kernel of package kernels with its
// symbolic gradient, so that G.Grad builds the backward pass from dxtrain's fast kernels
// instead of gorgonia's generic ones.
//
// Every op writes into buffers it allocates once with the graph and returns them again
// each step, so a step allocates nothing for these ops (gorgonia's tape machine clears its
// registers on every Reset, so its UsePreallocDo could not carry a buffer from one step to
// the next; models runs the graph with its own executor). State a backward op needs from its
// forward op (the max-pool argmax, a convolution's scratch) is reached through a pointer
// to the forward op, and each backward node takes the forward output node as a child so
// that it runs after the forward of the same step. A graph holding these ops must be run
// by one goroutine at a time.
package ops
