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
// In TLS (Config.ServerTLS and ClientTLS) a link runs the mutual TLS 1.3
// handshake and the session hello and ack in crypto/tls, so that certificate
// refusals, alerts and rejected hellos work as TLS does, and then both ends
// switch, on the same socket, to this package's sealed frames (sealed_link.go):
// AES-256-GCM under keys exported from the TLS session, one per direction and
// renewed every 4 GiB (seal_keys.go), in frames of up to 256 KiB that the
// sender seals straight from the caller's buffers into 1 MiB writes and the
// receiver opens straight into the caller's slice. In crypto/tls records the
// ring ran at 0.2-0.3 of plaintext: with two ranks on a two-core VM over
// loopback, a CPU profile of the 256 MiB all-reduce put 46% of a TLS rank's CPU
// in AES-GCM, 16% in user-space copies (crypto/tls's and the link buffers') and
// 28% in system calls. Sealed frames leave only the cipher's one pass over each
// byte: there, with crypto/aes's AES-GCM, about 60% of a TLS rank's CPU is the
// cipher, 30% system calls and 2% copies, and TLS runs at 0.3-0.4 of plaintext,
// the bound for that cipher (bench/allreduce --tls); with a cipher that only
// copied, it ran at 0.6-0.7, a bound for any cipher here. newSealCipher
// (seal_cipher.go) picks the AES-GCM. On a rate-limited link the wire, not the
// CPU, should decide: one crypto/tls stream carried about 1 GB/s with roughly a
// core on each side, about 0.8 of a 10 Gbit/s line (bench/allreduce --netns
// measures shaped links, but its ranks share the benchmark machine's cores).
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
