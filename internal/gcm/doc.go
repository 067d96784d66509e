// Package gcm is AES-GCM (NIST SP 800-38D) on 512-bit vector AES and
// carry-less multiplication (VAES, VPCLMULQDQ, AVX-512), for the bulk data of
// the ring all-reduce.
//
// Go's crypto/aes seals and opens about 5 GB/s a core on the machines dxtrain
// runs on, one 128-bit block per instruction; a TLS ring rank on two cores
// spent twice as long in AES-GCM as the whole plaintext all-reduce takes. With
// AVX-512 the same instructions work on four blocks at a time, and one loop
// (ctrHashAVX512) runs the AES rounds of sixteen blocks between the carry-less
// products of sixteen others: 14.7-15.0 GB/s for AES-256 on 256 KiB against
// crypto/cipher's 4.1-5.1 in the same run (go test ./internal/gcm -bench .).
// New returns it where the CPU has the instructions and crypto/cipher's GCM
// elsewhere; both produce the same bytes, which the tests check against
// crypto/cipher on every length up to 1100 bytes and around the loop's
// boundaries, for each key size, in place and not, and by fuzzing.
//
// The GHASH uses the byte-reflected representation of the field (a block's
// bytes reversed, so its first bit, the coefficient of x⁰, is the most
// significant bit of a 128-bit little-endian integer). A carry-less product of
// two such values is the reflected product times x, so the key powers are
// stored multiplied by x⁻¹ (field.go), and one reduction folds the 256-bit
// product's low half twice by the constant 0xC2000000_00000000 (x¹²⁸ ≡
// x⁷+x²+x+1, reflected and shifted). See field.go for the derivation.
package gcm
