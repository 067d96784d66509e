package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/dxtrain/dxtrain/kernels"
)

// poolCases are N, C, H, W of the max-pool tests: the smallest input, odd sizes (a
// trailing row or column dropped) and the CNN's shapes.
var poolCases = [][4]int{{1, 1, 2, 2}, {2, 3, 7, 13}, {1, 2, 5, 4}, {3, 4, 9, 9}, {2, 32, 28, 28}, {1, 64, 14, 14}}

func TestMaxPool2x2Forward(t *testing.T) {
	for i, s := range poolCases {
		t.Run(fmt.Sprintf("%dx%dx%dx%d", s[0], s[1], s[2], s[3]), func(t *testing.T) {
			n, c, h, w := s[0], s[1], s[2], s[3]
			x := convRandom(rand.New(rand.NewPCG(uint64(i), 2)), n*c*h*w)
			g := G.NewGraph()
			y, err := MaxPool2x2(convLeaf(g, "x", x, n, c, h, w))
			if err != nil {
				t.Fatal(err)
			}
			if want := (tensor.Shape{n, c, h / 2, w / 2}); !y.Shape().Eq(want) {
				t.Fatalf("shape %v, want %v", y.Shape(), want)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			want, argmax := kernels.MaxPoolReference(n, c, h, w, 2, 2, x)
			got := convValues(t, y)
			if j := convClose(got, want, 0); j >= 0 {
				t.Fatalf("y[%d] = %g, reference %g", j, got[j], want[j])
			}
			op := y.Op().(*maxPool2x2Op)
			for j, a := range argmax {
				if int(op.argmax[j]) != a {
					t.Fatalf("argmax[%d] = %d, reference %d", j, op.argmax[j], a)
				}
			}
		})
	}
}

func TestMaxPool2x2RejectsBadShapes(t *testing.T) {
	g := G.NewGraph()
	tests := []struct {
		name string
		x    *G.Node
	}{
		{"height 1", convLeaf(g, "x1", make([]float32, 2*3*1*4), 2, 3, 1, 4)},
		{"3-D", convLeaf(g, "x2", make([]float32, 3*4*4), 3, 4, 4)},
		{"float64", G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 1, 2, 2), G.WithName("x3"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := MaxPool2x2(tt.x); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
