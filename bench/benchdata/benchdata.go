// Package benchdata builds the synthetic training data the benchmark commands share:
// random MNIST-shaped records, so that timings measure training, not a dataset.
package benchdata

import (
	"math/rand/v2"

	"github.com/dxtrain/dxtrain/trainer/loop"
)

// Classes are the ten labels of MNIST-shaped data.
var Classes = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// MNISTLike returns train records (and holdout records for each of validation and test)
// of 784 standard-normal features and uniform labels over ten classes, from a fixed seed.
func MNISTLike(train, holdout int) *loop.Data {
	rng := rand.New(rand.NewPCG(1, 2))
	split := func(n int) loop.Split {
		s := loop.Split{N: n, X: make([]float32, n*784), Y: make([]int32, n)}
		for i := range s.X {
			s.X[i] = float32(rng.NormFloat64())
		}
		for i := range s.Y {
			s.Y[i] = int32(rng.IntN(len(Classes)))
		}
		s.Raw = s.X
		return s
	}
	return &loop.Data{InputShape: []int{784}, Classes: Classes, Hash: "synthetic",
		Train: split(train), Validation: split(holdout), Test: split(holdout)}
}
