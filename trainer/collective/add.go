package collective

// The reduction kernel. The reduce-scatter adds every incoming chunk into the
// local one, so on loopback this loop is a sizeable share of the CPU time next
// to the kernel's socket copies; amd64 uses packed SSE (ADDPS), which rounds
// each lane exactly like the scalar ADDSS, so results are bit-identical to
// addIntoRef.

// addInto sets dst[i] = dst[i] + src[i] for i < len(dst). IEEE addition is
// commutative, so this equals partial + local bit for bit.
func addInto(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	src = src[:len(dst)]
	addVec(dst, src)
}

// addIntoRef is the scalar reference the vector version is checked against.
func addIntoRef(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
