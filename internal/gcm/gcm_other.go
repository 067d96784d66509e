//go:build !amd64

package gcm

// Elsewhere New returns crypto/cipher's GCM; these are never called.
const hasVectorAES = false

func ctrAVX512(k *vectorKeys, ctr *[16]byte, dst, src *byte, n int) {
	panic("gcm: no vector AES on this architecture")
}

func ctrHashAVX512(k *vectorKeys, ctr *[16]byte, x *fieldElem, dst, src, hashed *byte, n int) {
	panic("gcm: no vector AES on this architecture")
}

func ghashAVX512(x *fieldElem, k *vectorKeys, src *byte, n int) {
	panic("gcm: no vector AES on this architecture")
}

func ghashBlocks(x *fieldElem, key *fieldElem, src *byte, n int) {
	panic("gcm: no vector AES on this architecture")
}

func encryptBlock(k *vectorKeys, dst, src *[16]byte) {
	panic("gcm: no vector AES on this architecture")
}
