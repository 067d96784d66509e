// Package trainer is dxtrain's worker side: the agent that registers with the
// coordinator, heartbeats and runs the attempts it is assigned, and the local runner
// that trains one experiment in this process (`dxtrain train`).
package trainer
