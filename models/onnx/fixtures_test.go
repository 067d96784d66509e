package onnx

import (
	"math/rand/v2"
	"testing"

	"github.com/dxtrain/dxtrain/models"
)

// fixture is one architecture exported in the tests, with its raw-input distribution.
type fixture struct {
	name string
	opts models.Options
	pre  func(size int, rng *rand.Rand) *models.Preprocess
}

// fixtures are the architectures of issues 2 and 8: WDBC-shaped logreg and mlp, an
// MNIST-shaped mlp and the reference CNN.
func fixtures() []fixture {
	return []fixture{
		{"logreg_30", models.Options{Architecture: "logreg", InputShape: []int{30}, Classes: 2}, perFeature},
		{"mlp_30_32_16_2", models.Options{Architecture: "mlp", InputShape: []int{30}, Hidden: []int{32, 16}, Classes: 2}, perFeature},
		{"mlp_784_256_128_10", models.Options{Architecture: "mlp", InputShape: []int{784}, Hidden: []int{256, 128}, Classes: 10}, perFeature},
		{"cnn_1x28x28_10", models.Options{Architecture: "cnn", InputShape: []int{1, 28, 28}, Classes: 10}, shared},
		{"mlp_1x28x28_10", models.Options{Architecture: "mlp", InputShape: []int{1, 28, 28}, Hidden: []int{64}, Classes: 10}, shared},
	}
}

// perFeature is a standardisation with one mean and std per input value, far from the
// identity (means up to ±500, stds from 0.5 to 50), like raw clinical measurements.
func perFeature(size int, rng *rand.Rand) *models.Preprocess {
	p := &models.Preprocess{Mean: make([]float32, size), Std: make([]float32, size)}
	for i := range size {
		p.Mean[i] = float32((rng.Float64()*2 - 1) * 500)
		p.Std[i] = float32(0.5 + rng.Float64()*49.5)
	}
	return p
}

// shared is one mean and std for every input value (MNIST's).
func shared(int, *rand.Rand) *models.Preprocess {
	return &models.Preprocess{Mean: []float32{0.1307}, Std: []float32{0.3081}}
}

// build makes the network, its seeded parameters and a preprocess for f.
func (f fixture) build(t testing.TB, seed uint64) (models.Network, []*models.Param, *models.Preprocess) {
	t.Helper()
	net, err := models.NewNetwork(f.opts)
	if err != nil {
		t.Fatalf("%s: new network: %v", f.name, err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	return net, models.InitParams(net, seed), f.pre(net.InputSize(), rng)
}

// rawInputs draws n raw samples distributed as pre describes: mean + std·N(0, 1).
func rawInputs(net models.Network, pre *models.Preprocess, n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	size := net.InputSize()
	x := make([]float32, n*size)
	for i := range x {
		m, s := float32(0), float32(1)
		if pre != nil && len(pre.Mean) > 0 {
			m, s = pre.Mean[i%len(pre.Mean)], pre.Std[i%len(pre.Std)]
		}
		x[i] = m + s*float32(rng.NormFloat64())
	}
	return x
}

// requireRuntime fails the test, naming the fetch command, when the ONNX Runtime
// library is not installed: these tests run the real library, never a stand-in.
func requireRuntime(t testing.TB) {
	t.Helper()
	if _, err := LibraryPath(); err != nil {
		t.Fatalf("ONNX Runtime is needed for this test: %v", err)
	}
}

// mustExport exports or fails the test.
func mustExport(t testing.TB, net models.Network, params []*models.Param, pre *models.Preprocess, meta map[string]string) []byte {
	t.Helper()
	model, err := Export(net, params, pre, meta)
	if err != nil {
		t.Fatalf("export %s: %v", net.Architecture, err)
	}
	return model
}
