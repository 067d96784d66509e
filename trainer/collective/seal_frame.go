package collective

import "errors"

// A sealed frame (sealed_link.go) is
//
//	length u32 (big-endian, plaintext bytes) | ciphertext | tag (16 bytes)
//
// sealed with the direction's epoch key (seal_keys.go) under the nonce of the
// frame's number, the length as additional data. Frame numbers are implicit:
// both ends count, so a frame dropped, repeated or moved fails to open.
const (
	sealHeaderLen = 4
	sealTagLen    = 16
	sealOverhead  = sealHeaderLen + sealTagLen

	// maxSealedFrame bounds a frame's plaintext. A receiver holds a whole frame
	// to authenticate it before any byte is used, so this sizes its buffer and
	// bounds what a corrupted length can make it wait for. In bench/allreduce
	// --tls, 256 KiB frames ran as fast as 1 MiB ones and faster than 64 KiB
	// ones, whose per-frame costs showed with a cipher that only copies; the
	// receiver's buffer stays well inside a core's 1 MiB L2 there.
	maxSealedFrame    = 1 << maxSealedFrameLog
	maxSealedFrameLog = 18

	// sealGatherBytes is how many sealed bytes a sender gathers before a write:
	// whole frames, so a frame never waits for the next call's data.
	sealGatherBytes = 4 * (maxSealedFrame + sealOverhead)

	// sealReadAhead is how far past a whole frame the receiver's buffer reaches,
	// so that small frames (operation headers) share a read with their
	// successors, while moving a partly read frame to the front of the buffer
	// copies at most this much.
	sealReadAhead = 64 << 10
)

var (
	// errFrameAuth is a frame whose tag does not verify: corrupted, forged,
	// replayed or reordered in transit, or sealed under another key.
	errFrameAuth = errors.New("frame failed authentication (corrupted or forged in transit)")
	// errFrameLength is a frame header whose length no sender writes.
	errFrameLength = errors.New("malformed frame length")
)
