package gcm

import "encoding/binary"

// fieldElem is a GHASH field element in the byte-reflected representation: the
// 16 bytes of a block reversed and read as a little-endian 128-bit integer, lo
// holding bits 0-63. The coefficient of x^i is bit 127-i.
type fieldElem struct{ lo, hi uint64 }

// reflect reads a 16-byte block as a field element.
func reflect(b []byte) fieldElem {
	return fieldElem{lo: binary.BigEndian.Uint64(b[8:16]), hi: binary.BigEndian.Uint64(b[0:8])}
}

// bytes writes e back as a block.
func (e fieldElem) bytes(b []byte) {
	binary.BigEndian.PutUint64(b[0:8], e.hi)
	binary.BigEndian.PutUint64(b[8:16], e.lo)
}

// reducer is the high qword of the reduction constant: x¹²⁸ ≡ x⁷+x²+x+1
// reflected into 64 bits (0xE1 << 56) and shifted left once; the bit shifted
// out becomes the qword swap in mul's folds.
const reducer = 0xC200000000000000

// clmul64 is the 128-bit carry-less product of a and b (PCLMULQDQ), in Go for
// key setup and the reference tests only.
func clmul64(a, b uint64) (lo, hi uint64) {
	for i := 0; i < 64; i++ {
		if b>>i&1 == 1 {
			lo ^= a << i
			if i > 0 {
				hi ^= a >> (64 - i)
			}
		}
	}
	return lo, hi
}

// mul returns the reflected form of a·b·x (mod the GCM polynomial): the
// carry-less product of two reflected values is the reflected product shifted
// one place, so a key stored as h·x⁻¹ makes mul(a, key) = a·h.
//
// Derivation: the 256-bit carry-less product holds the coefficient of x^d of
// a·b·x at bit 255-d, so its low 128 bits are the degrees 128-255 to fold. The
// lowest qword q (degrees 192-255, i.e. x¹⁹²·t) is ≡ x⁶⁴·t·(x⁷+x²+x+1), which
// lands 65 bits up: clmul(q, reducer) ⊕ (q << 64), shifted up a qword. The next
// qword folds the same way one qword higher. This is the fold the assembly
// does, on the same three partial products.
func mul(a, b fieldElem) fieldElem {
	loLo, loHi := clmul64(a.lo, b.lo)
	hiLo, hiHi := clmul64(a.hi, b.hi)
	m1Lo, m1Hi := clmul64(a.lo, b.hi)
	m2Lo, m2Hi := clmul64(a.hi, b.lo)
	miLo, miHi := m1Lo^m2Lo, m1Hi^m2Hi
	tLo, tHi := clmul64(loLo, reducer)
	miLo ^= loHi ^ tLo
	miHi ^= loLo ^ tHi
	tLo, tHi = clmul64(miLo, reducer)
	return fieldElem{lo: hiLo ^ miHi ^ tLo, hi: hiHi ^ miLo ^ tHi}
}

// keyFromH returns the stored form of the hash key h = E(K, 0¹²⁸): h·x⁻¹,
// which in the reflected representation is a left shift with x⁻¹ ≡
// x¹²⁷+x⁶+x+1 (0xC2000000_00000000_00000000_00000001) added when the
// coefficient of x⁰ shifts out.
func keyFromH(h fieldElem) fieldElem {
	carry := h.hi >> 63
	k := fieldElem{lo: h.lo << 1, hi: h.hi<<1 | h.lo>>63}
	if carry == 1 {
		k.lo ^= 1
		k.hi ^= reducer
	}
	return k
}

// ghashRef is GHASH over data (a multiple of 16 bytes) from state x, in Go:
// the reference the assembly is tested against.
func ghashRef(x fieldElem, key fieldElem, data []byte) fieldElem {
	for len(data) >= 16 {
		b := reflect(data[:16])
		x = mul(fieldElem{lo: x.lo ^ b.lo, hi: x.hi ^ b.hi}, key)
		data = data[16:]
	}
	return x
}
