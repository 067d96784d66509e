//go:build !amd64 || purego

package kernels

// shiftedVector is false: there are no vector kernels for shifted rows on this build.
var shiftedVector = false

// shiftedFlat is false: there are no flat kernels either.
var shiftedFlat = false

func im2colShiftedVector(Conv2D, []float32, []float32) bool { return false }

func col2imShiftedVector(Conv2D, []float32, []float32) bool { return false }

func flatShifted(Conv2D, bool, []float32, []float32) bool { return false }
