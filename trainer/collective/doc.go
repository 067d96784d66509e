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
// In TLS (Config.ServerTLS and ClientTLS) every byte is also sealed by the
// sender and opened by the receiver with AES-GCM in crypto/tls, in 16 KiB
// records that the links gather into 256 KiB writes and read from the socket in
// 256 KiB pieces (secure_link.go). Where the ring is CPU-bound that crypto
// decides the speed: with two ranks on a two-core VM over loopback, a CPU
// profile of the 256 MiB all-reduce put 46% of a TLS rank's CPU in AES-GCM
// (2.5-2.7 GB/s a core), 16% in user-space copies (crypto/tls's and the link
// buffers') and 28% in system calls; a TLS rank used about four times the CPU
// of a plaintext one, so TLS ran at 0.2-0.3 of plaintext there
// (bench/allreduce --tls). With no cost beyond AES-GCM the bound on that
// machine would be about 0.34. On a rate-limited link the wire, not the CPU,
// should decide: one TLS stream carried about 1 GB/s with roughly a core on
// each side, about 0.8 of a 10 Gbit/s line, while 25 Gbit/s would need one
// link's crypto spread over several cores (bench/allreduce --netns measures
// shaped links, but its ranks share the benchmark machine's cores).
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
