package gcm

import "encoding/binary"

// sbox is AES's S-box (FIPS 197 §5.1.1), built at start-up from its definition:
// the multiplicative inverse in GF(2⁸) followed by the affine map.
var sbox = func() (s [256]byte) {
	// Walk p over GF(2⁸)* by ×3 and q over it by ÷3, so q = p⁻¹ at every step.
	p, q := byte(1), byte(1)
	for {
		p = p ^ p<<1 ^ byte(int8(p)>>7)&0x1b
		q ^= q << 1
		q ^= q << 2
		q ^= q << 4
		q ^= byte(int8(q)>>7) & 0x09
		s[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63
		if p == 1 {
			break
		}
	}
	s[0] = 0x63
	return s
}()

func rotl8(x byte, k uint) byte { return x<<k | x>>(8-k) }

func subWord(w uint32) uint32 {
	return uint32(sbox[w>>24])<<24 | uint32(sbox[w>>16&0xff])<<16 | uint32(sbox[w>>8&0xff])<<8 | uint32(sbox[w&0xff])
}

// expandKey writes the encryption round keys of key (16, 24 or 32 bytes) into
// rk, in the byte order AESENC takes them, and returns the number of rounds.
func expandKey(key []byte, rk *[maxRounds + 1][16]byte) int {
	nk := len(key) / 4
	rounds := nk + 6
	var w [4 * (maxRounds + 1)]uint32
	for i := 0; i < nk; i++ {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := nk; i < 4*(rounds+1); i++ {
		t := w[i-1]
		switch {
		case i%nk == 0:
			t = subWord(t<<8|t>>24) ^ rcon<<24
			rcon <<= 1
			if rcon&0x100 != 0 {
				rcon ^= 0x11b
			}
		case nk > 6 && i%nk == 4:
			t = subWord(t)
		}
		w[i] = w[i-nk] ^ t
	}
	for r := 0; r <= rounds; r++ {
		for c := 0; c < 4; c++ {
			binary.BigEndian.PutUint32(rk[r][4*c:], w[4*r+c])
		}
	}
	return rounds
}
