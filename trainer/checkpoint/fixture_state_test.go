package checkpoint

import (
	"strings"

	"github.com/dxtrain/dxtrain/models"
)

// trainedFixtureState trains a small MLP (5 → 4 → 3 classes, so no weight is square)
// three Adam steps from seed 7 on a fixed batch and returns its checkpoint state: the
// same code, run at commit 7351023, wrote testdata/format1 (see TestLoadsFormat1).
func trainedFixtureState() (*State, error) {
	net, err := models.NewNetwork(models.Options{Architecture: "mlp", InputShape: []int{5}, Hidden: []int{4}, Classes: 3})
	if err != nil {
		return nil, err
	}
	params := models.InitParams(net, 7)
	const batch = 6
	gr, err := models.NewGraph(net, params, batch)
	if err != nil {
		return nil, err
	}
	defer gr.Close()
	opt, err := models.NewOptimizer(models.OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
	if err != nil {
		return nil, err
	}
	b := models.Batch{X: make([]float32, batch*5), Labels: make([]int32, batch), Weights: make([]float32, batch)}
	for i := range b.X {
		b.X[i] = float32(i%7)/7 - 0.4
	}
	for i := range batch {
		b.Labels[i], b.Weights[i] = int32(i%3), 1.0/batch
	}
	for range 3 {
		if _, err := gr.Step(b); err != nil {
			return nil, err
		}
		opt.Step(params, 0.01)
	}
	return &State{
		Experiment: "format1", Cursor: Cursor{Step: 3, Epoch: 0, BatchInEpoch: 3, OptimizerSteps: 3},
		RNG: RNG{Algorithm: "pcg", Seed: 7}, WorldSize: 1, Network: net,
		Params: CloneTensors(params), Optimizer: CloneTensors(opt.State()),
		DatasetHash: strings.Repeat("d", 64), SpecHash: strings.Repeat("s", 64), CodeVersion: "7351023",
	}, nil
}
