package models

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dxtrain/dxtrain/kernels"
)

// TestTrainingMatchesRecordedBits trains the reference MLP and CNN for six steps with each
// optimizer, on one, two and three threads, and compares a hash of every loss and of the
// final parameters with the one recorded when the engine's arithmetic was last changed on
// purpose. Validators replay runs on the native engine and compare checkpoint digests, so
// a speed-up that moves a single bit must fail here; one that changes the arithmetic on
// purpose records the new hashes and says so in its commit. The hashes are those of the
// SGEMM's fused multiply-add kernels (AVX-512 and AVX2 agree bit for bit); the plain-Go
// kernel rounds differently and is checked against the references instead.
func TestTrainingMatchesRecordedBits(t *testing.T) {
	if kernels.KernelName() == "go" {
		t.Skip("the recorded hashes are the fused multiply-add kernels'")
	}
	if testing.Short() {
		t.Skip("trains the reference CNN: about a second per case")
	}
	want := map[string]string{
		"mlp/sgd":  "1ac6c2053f6fe265",
		"mlp/adam": "4ccacb1f24c0048f",
		"cnn/sgd":  "35052e83a5f487c6",
		"cnn/adam": "ea4da00740b839a1",
	}
	defer kernels.SetThreads(0)
	for _, opts := range []Options{
		{Architecture: "mlp", InputShape: []int{784}, Hidden: []int{256, 128}, Classes: 10},
		{Architecture: "cnn", InputShape: []int{1, 28, 28}, Hidden: []int{128}, Classes: 10},
	} {
		for _, optimizer := range []string{"sgd", "adam"} {
			name := opts.Architecture + "/" + optimizer
			for _, threads := range []int{1, 2, 3} {
				kernels.SetThreads(threads)
				if got := trainingHash(t, opts, optimizer); got != want[name] {
					t.Errorf("%s on %d threads: hash %s, recorded %s", name, threads, got, want[name])
				}
			}
		}
	}
}

// trainingHash trains six steps of batch 128 from seed 1 and hashes the losses and the
// parameters' bits, each tensor in the layout it had when the hashes were recorded.
func trainingHash(t *testing.T, opts Options, optimizer string) string {
	t.Helper()
	net, err := NewNetwork(opts)
	if err != nil {
		t.Fatal(err)
	}
	params := InitParams(net, 1)
	gr, err := NewGraph(net, params, 128)
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	opt, err := NewOptimizer(OptimizerConfig{Name: optimizer, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	h := fnv.New64a()
	for range 6 {
		loss, err := gr.Step(randomBatch(rng, net, 128))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(h, math.Float32bits(loss))
		opt.Step(params, 0.01)
	}
	for _, p := range params {
		values := p.Data
		if len(p.Shape) == 2 { // a dense weight: hashed in the [in, out] order the hashes were recorded in
			values = make([]float32, len(p.Data))
			TransposeInto(values, p.Data, p.Shape[0], p.Shape[1])
		}
		for _, v := range values {
			fmt.Fprint(h, math.Float32bits(v))
		}
	}
	return fmt.Sprintf("%x", h.Sum64())
}
