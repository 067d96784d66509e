package kernels

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gorgoniaBLAS is the interface gorgonia.Use and tensor.Use take (gorgonia v0.9.18 blas.go,
// tensor v0.9.24 blas.go), restated here so that kernels stays a leaf.
type gorgoniaBLAS interface {
	blas.Float32
	blas.Float64
	blas.Complex64
	blas.Complex128
}

var _ gorgoniaBLAS = BLAS{}

func TestBLASSgemmMatchesGonum(t *testing.T) {
	trans := map[bool]blas.Transpose{false: blas.NoTrans, true: blas.Trans}
	for i, tc := range gemmCases() {
		if i%3 != 0 {
			continue
		}
		t.Run(tc.String(), func(t *testing.T) {
			d := newGemmData(tc, uint64(i))
			want := slices.Clone(d.c)
			gonum.Implementation{}.Sgemm(trans[tc.transA], trans[tc.transB], tc.m, tc.n, tc.k, tc.alpha,
				d.a, d.lda, d.b, d.ldb, tc.beta, want, d.ldc)
			got := slices.Clone(d.c)
			BLAS{}.Sgemm(trans[tc.transA], trans[tc.transB], tc.m, tc.n, tc.k, tc.alpha,
				d.a, d.lda, d.b, d.ldb, tc.beta, got, d.ldc)
			checkClose(t, tc, got, want, d.ldc)
		})
	}
}

func TestBLASSgemmRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		call func()
	}{
		{"bad transpose", func() {
			BLAS{}.Sgemm('x', blas.NoTrans, 1, 1, 1, 1, []float32{1}, 1, []float32{1}, 1, 0, []float32{1}, 1)
		}},
		{"small ldc", func() {
			BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 1, 1, []float32{1, 1}, 1, []float32{1, 1}, 2, 0, make([]float32, 4), 1)
		}},
		{"short b", func() {
			BLAS{}.Sgemm(blas.NoTrans, blas.Trans, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 3), 2, 0, make([]float32, 4), 2)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := recoverError(tt.call)
			if !errors.Is(err, ErrShape) {
				t.Fatalf("got %v, want a panic with an error wrapping ErrShape", err)
			}
		})
	}
}

// recoverError runs f and returns the error it panicked with, if any.
func recoverError(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
				return
			}
			err = fmt.Errorf("panic with non-error %v", r)
		}
	}()
	f()
	return nil
}

func TestBLASFloat64StillGonum(t *testing.T) {
	// The embedded gonum implementation serves everything Sgemm does not override.
	x := []float64{3, 4}
	if got := (BLAS{}).Dnrm2(2, x, 1); math.Abs(got-5) > 1e-12 {
		t.Fatalf("Dnrm2 = %g, want 5", got)
	}
}
