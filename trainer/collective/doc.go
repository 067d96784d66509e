// Package collective moves gradients and parameters between the ranks of one
// data-parallel training attempt: ring all-reduce (reduce-scatter then
// all-gather, chunked and pipelined), broadcast and barrier over persistent
// TCP connections.
//
// Every rank keeps two connections for the life of the attempt: one it dialled
// to its successor (rank+1 mod W), used only for sending, and one it accepted
// from its predecessor (rank-1 mod W), used only for receiving. Data travels as
// raw little-endian float32 straight from and into the caller's slice.
// On loopback the cost is CPU, not the wire: every byte is copied into and
// out of the kernel, so the sockets use Reno rather than a pacing congestion
// control such as BBR (see Config.Congestion), and chunks grow with the
// message (see Config.ChunkBytes) to save system calls and wake-ups.
//
// Failure is loud and fast: every operation runs under a deadline, the first
// error breaks the communicator (its connections are closed, so neighbours fail
// too, and the failure travels around the ring), and every later call returns
// that error. A dead or stalled peer therefore becomes an error on every rank,
// never a hang, and the attempt can be failed and replaced.
//
// Sums are taken in a fixed order (see [Comm.AllReduceSum]), so results are
// bit-identical on every rank and across runs with the same world size.
package collective
