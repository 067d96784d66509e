// Package channel is the agent's side of the rank ↔ agent channel of python/PROTOCOL.md:
// a Unix stream socket, private to the agent's user, over which each rank of a
// `runtime: torch` attempt says hello with the attempt's secret, learns what it needs
// (dataset, resume point, checkpoint directory), and then reports metrics, hands over
// checkpoints and ONNX files, and pings. The answers to reports and pings carry the
// leader's request to checkpoint and stop once there is one (Config.Stop), and a rank
// that stopped on it says so (Config.Stopped).
//
// The server does all the protocol's checking (framing, the secret, one connection per
// rank, metric names and values, step order, that paths lie where they must) so the
// Handler it calls only ever sees clean input. Every message is also a sign of life:
// the server calls the touch function the agent gives it, which feeds the gang's
// silence watchdog.
package channel
