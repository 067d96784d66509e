//go:build !amd64

package collective

func addVec(dst, src []float32) { addIntoRef(dst, src) }
