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
// receiver opens straight into the caller's slice.
//
// Why not crypto/tls records: with two ranks on a two-core VM over loopback
// they ran the ring at 0.2-0.3 of plaintext, and a CPU profile of the 256 MiB
// all-reduce put 46% of a TLS rank's CPU in AES-GCM, 16% in user-space copies
// (crypto/tls's and the link buffers') and 28% in system calls. Sealed frames
// leave only the cipher's one pass over each byte. On that VM, with crypto/aes's
// AES-GCM (3-5 GB/s a core) about 60% of a TLS rank's CPU is the cipher and
// TLS runs at 0.3-0.4 of plaintext; with internal/gcm's (15 GB/s a core, VAES
// and VPCLMULQDQ on AVX-512), which newSealCipher (seal_cipher.go) picks where
// the CPU has it, at 0.45-0.6 (bench/allreduce --tls). With a cipher that only
// copied it ran at 0.6-0.7: on two cores that the two ranks and the kernel's
// copies share, the cipher's pass over every byte sent and received is what
// remains, and it is already near what the AES units give (AES-256 in counter
// mode alone runs at 27.5 GB/s a core there). On a rate-limited link the wire,
// not the CPU, decides: behind a veth shaped to 10 Gbit/s (bench/allreduce
// --netns) sealed TLS ran at 0.84-0.90 of plaintext, and at 25 Gbit/s, where
// the two shared cores are the limit again, at 0.60-0.70.
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
