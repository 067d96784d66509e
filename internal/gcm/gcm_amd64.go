package gcm

import "golang.org/x/sys/cpu"

// hasVectorAES reports the instructions gcm_amd64.s uses: 512-bit AES rounds and
// carry-less products, and EVEX-encoded byte shuffles and ternary logic on every
// vector width.
var hasVectorAES = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512BW &&
	cpu.X86.HasAVX512VAES && cpu.X86.HasAVX512VPCLMULQDQ

//go:noescape
func ctrAVX512(k *vectorKeys, ctr *[16]byte, dst, src *byte, n int)

//go:noescape
func ctrHashAVX512(k *vectorKeys, ctr *[16]byte, x *fieldElem, dst, src, hashed *byte, n int)

//go:noescape
func ghashAVX512(x *fieldElem, k *vectorKeys, src *byte, n int)

//go:noescape
func ghashBlocks(x *fieldElem, key *fieldElem, src *byte, n int)

//go:noescape
func encryptBlock(k *vectorKeys, dst, src *[16]byte)
