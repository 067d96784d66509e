package collective

// addSSE adds n floats of src into dst with packed SSE; SSE2 is part of the
// amd64 baseline, so no CPU feature check is needed.
//
//go:noescape
func addSSE(dst, src *float32, n int)

func addVec(dst, src []float32) { addSSE(&dst[0], &src[0], len(dst)) }
