package kernels

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// floatsOf reads data as little-endian float32 bit patterns (every pattern: NaNs with any
// payload, signalling ones, subnormals, infinities), dropping a trailing partial value.
func floatsOf(data []byte) []float32 {
	s := make([]float32, len(data)/4)
	for i := range s {
		s[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return s
}

// fuzzState splits arbitrary bytes into count equal slices of float32s.
func fuzzState(data []byte, count int) [][]float32 {
	all := floatsOf(data)
	n := len(all) / count
	out := make([][]float32, count)
	for i := range out {
		out[i] = all[i*n : (i+1)*n]
	}
	return out
}

// fuzzSeeds are byte strings for the seed corpus: values around 1, wide magnitudes, and
// special patterns, 4·k·4 bytes for k = 1, 7, 17, 33 elements per slice.
func fuzzSeeds() [][]byte {
	var seeds [][]byte
	for _, k := range []int{1, 7, 17, 33} {
		b := make([]byte, 4*4*k)
		for i := range 4 * k {
			var bits uint32
			switch i % 6 {
			case 0:
				bits = math.Float32bits(float32(i) * 0.01)
			case 1:
				bits = math.Float32bits(-float32(i) * 1e30)
			case 2:
				bits = uint32(i) * 2654435761 // arbitrary patterns, NaNs among them
			case 3:
				bits = 0x80000000 // -0
			case 4:
				bits = 0x7f800001 // signalling NaN
			default:
				bits = 0x00000003 // subnormal
			}
			binary.LittleEndian.PutUint32(b[4*i:], bits)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzAdamStepMatchesReference runs every Adam version on arbitrary state and hyper-
// parameters and compares with AdamReference: exact bits, or both NaN (see optimValues).
func FuzzAdamStepMatchesReference(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add(s, float32(1e-3), float32(0.9), float32(0.999), float32(1e-8), float32(i)*0.01, int64(i*100+1))
	}
	f.Fuzz(func(t *testing.T, data []byte, lr, b1, b2, eps, wd float32, step int64) {
		s := fuzzState(data, 4)
		h := NewAdamHyper(float64(lr), float64(b1), float64(b2), float64(eps), float64(wd), step)
		rp, rm, rv := slices.Clone(s[0]), slices.Clone(s[2]), slices.Clone(s[3])
		AdamReference(rp, s[1], rm, rv, h)
		for _, ver := range adamVersions() {
			p, m, v := slices.Clone(s[0]), slices.Clone(s[2]), slices.Clone(s[3])
			k := adamConstsOf(h)
			ver.fn(p, s[1], m, v, &k)
			sameBits(t, ver.name+" params", p, rp, true)
			sameBits(t, ver.name+" m", m, rm, true)
			sameBits(t, ver.name+" v", v, rv, true)
		}
	})
}

// FuzzSGDMomentumStepMatchesReference is FuzzAdamStepMatchesReference for SGD.
func FuzzSGDMomentumStepMatchesReference(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add(s, float32(0.01), float32(0.9), float32(i)*1e-3)
	}
	f.Fuzz(func(t *testing.T, data []byte, lr, mu, wd float32) {
		s := fuzzState(data, 3)
		h := SGDHyper{LR: lr, Momentum: mu, WeightDecay: wd}
		rp, rvel := slices.Clone(s[0]), slices.Clone(s[2])
		SGDMomentumReference(rp, s[1], rvel, h)
		for _, ver := range sgdVersions() {
			p, vel := slices.Clone(s[0]), slices.Clone(s[2])
			ver.fn(p, s[1], vel, h)
			sameBits(t, ver.name+" params", p, rp, true)
			sameBits(t, ver.name+" velocity", vel, rvel, true)
		}
	})
}
