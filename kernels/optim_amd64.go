//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// Assembly kernels (optim_amd64.s): Adam and SGD with momentum over blocks vector-width
// elements long, with the reference's operations in the reference's order (no FMA).
//
//go:noescape
func adamAVX512(p, grad, m, v *float32, blocks int, k *adamConsts)

//go:noescape
func adamAVX2(p, grad, m, v *float32, blocks int, k *adamConsts)

//go:noescape
func sgdAVX512(p, grad, vel *float32, blocks int, h *SGDHyper)

//go:noescape
func sgdAVX2(p, grad, vel *float32, blocks int, h *SGDHyper)

// adamSlicesAVX512 runs the AVX-512 kernel over whole vectors and the Go version over the
// remainder; the other wrappers do the same for their kernels. (Direct calls, not a
// closure over the kernel, so that the hyper-parameters stay on the stack.)
func adamSlicesAVX512(p, g, m, v []float32, k *adamConsts) {
	full := vectorPrefix(p, g, m, v, 16)
	if full > 0 {
		adamAVX512(&p[0], &g[0], &m[0], &v[0], full/16, k)
	}
	adamGo(p[full:], g[full:], m[full:], v[full:], k)
}

func adamSlicesAVX2(p, g, m, v []float32, k *adamConsts) {
	full := vectorPrefix(p, g, m, v, 8)
	if full > 0 {
		adamAVX2(&p[0], &g[0], &m[0], &v[0], full/8, k)
	}
	adamGo(p[full:], g[full:], m[full:], v[full:], k)
}

func sgdSlicesAVX512(p, g, vel []float32, h SGDHyper) {
	full := vectorPrefix(p, g, vel, vel, 16)
	if full > 0 {
		sgdAVX512(&p[0], &g[0], &vel[0], full/16, &h)
	}
	sgdGo(p[full:], g[full:], vel[full:], h)
}

func sgdSlicesAVX2(p, g, vel []float32, h SGDHyper) {
	full := vectorPrefix(p, g, vel, vel, 8)
	if full > 0 {
		sgdAVX2(&p[0], &g[0], &vel[0], full/8, &h)
	}
	sgdGo(p[full:], g[full:], vel[full:], h)
}

// vectorPrefix returns how many leading elements form whole vectors of width elements,
// after checking that the other slices are as long as p (the kernels read them unchecked).
func vectorPrefix(p, a, b, c []float32, width int) int {
	n := len(p)
	if len(a) < n || len(b) < n || len(c) < n {
		panic("kernels: optimizer slices of unequal lengths")
	}
	return n - n%width
}

// adamVersions lists the Adam versions this CPU runs, fastest first. The AVX2 kernels use
// only AVX instructions, but are named after the CPU generation like the SGEMM ones.
func adamVersions() []adamVersionT {
	var vs []adamVersionT
	if cpu.X86.HasAVX512F {
		vs = append(vs, adamVersionT{"avx512", adamSlicesAVX512})
	}
	if cpu.X86.HasAVX2 {
		vs = append(vs, adamVersionT{"avx2", adamSlicesAVX2})
	}
	return append(vs, adamVersionT{"go", adamGo})
}

// sgdVersions lists the SGD-with-momentum versions this CPU runs, fastest first.
func sgdVersions() []sgdVersionT {
	var vs []sgdVersionT
	if cpu.X86.HasAVX512F {
		vs = append(vs, sgdVersionT{"avx512", sgdSlicesAVX512})
	}
	if cpu.X86.HasAVX2 {
		vs = append(vs, sgdVersionT{"avx2", sgdSlicesAVX2})
	}
	return append(vs, sgdVersionT{"go", sgdGo})
}
