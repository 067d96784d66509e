package external

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/datasets/synth"
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/models/release"
)

// Development seeds of the image fixture's lesions (datasets/synth): the trust's sets
// in the tests are drawn from other seeds.
const (
	lesionTrainSeed = 1
	lesionValSeed   = 2
	lesionTestSeed  = 3
)

// lesions are n synthetic lesions from seed as a model takes them: pixels scaled to
// [0, 1] as readers.IDXArray.Pixels scales uint8, labels as class indices.
func lesions(n int, seed uint64) ([]float32, []int32) {
	l := synth.GenerateLesions(n, seed)
	x, y := make([]float32, len(l.Pixels)), make([]int32, l.N)
	for i, p := range l.Pixels {
		x[i] = float32(p) / 255
	}
	for i, v := range l.Labels {
		y[i] = int32(v)
	}
	return x, y
}

// imageFixture is shared by every test and benchmark of the binary: training the CNN
// takes seconds, and each caller only reads the release.
var imageFixture struct {
	once sync.Once
	f    *fixture
	err  error
}

// newImageFixture is a real release of a small CNN on 28×28 lesions, as `models
// release` seals an image model: trained a few epochs by the native engine (models.New
// and Adam, the step loop's calls) on synthetic lesions, exported with no
// standardisation in the graph (image datasets are standardised per channel, which
// the release does not carry, so the model takes pixels in [0, 1]), no input columns
// on the card, the card's evaluation from ONNX Runtime on a held-out split, and the
// development distribution of an ingested image dataset: the validation split's class
// shares and one intensity histogram over every pixel.
func newImageFixture(t testing.TB) *fixture {
	t.Helper()
	imageFixture.once.Do(func() { imageFixture.f, imageFixture.err = buildImageFixture() })
	if imageFixture.err != nil {
		t.Fatal(imageFixture.err)
	}
	return imageFixture.f
}

func buildImageFixture() (*fixture, error) {
	net, err := models.NewNetwork(models.Options{Architecture: "cnn", InputShape: []int{1, synth.LesionSide, synth.LesionSide}, Hidden: []int{32}, Classes: len(classes)})
	if err != nil {
		return nil, err
	}
	params, err := trainLesions(net, 2000, 5)
	if err != nil {
		return nil, err
	}
	prov := onnx.Provenance{Architecture: "cnn", Head: string(net.Head), SpecSHA256: hashOf("spec"), DatasetSHA256: hashOf("data"),
		Checkpoint: hashOf("cp"), Classes: classes, CodeVersion: "test"}
	model, err := onnx.Export(net, params, &models.Preprocess{}, prov.Metadata())
	if err != nil {
		return nil, err
	}
	tx, ty := lesions(2000, lesionTestSeed)
	sess, err := onnx.Load(model)
	if err != nil {
		return nil, err
	}
	probs, err := sess.Run(tx, len(ty))
	sess.Close()
	if err != nil {
		return nil, err
	}
	rep, err := metrics.Report(probs, ty, metrics.ReportOptions{ClassNames: classes})
	if err != nil {
		return nil, err
	}
	evaluation, err := rep.JSON()
	if err != nil {
		return nil, err
	}
	dist, err := imageDistribution(lesions(600, lesionValSeed))
	if err != nil {
		return nil, err
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	card := release.Card{
		Schema: release.CardSchema, Name: "lesions", Version: "1", IntendedUse: "Test.", IntendedUsers: "Tests.",
		Dataset:  release.CardDataset{Description: "synthetic lesions", ManifestSHA256: hashOf("data")},
		Training: release.CardTraining{SpecSHA256: hashOf("spec"), Seed: 1}, Architecture: "cnn",
		Classes: classes, PositiveClass: "malignant", Evaluation: evaluation, Distribution: dist,
		Limitations: []string{"Synthetic."}, CreatedAt: created, CodeVersion: "test",
	}
	return sealFixture(model, card, float64(rep.Overall.Binary.AUROC.Estimate))
}

// trainLesions trains net for epochs over n development lesions in batches of 50 with
// Adam, as trainer/loop steps: Graph.Step for the gradients, Optimizer.Step to apply them.
func trainLesions(net models.Network, n, epochs int) ([]*models.Param, error) {
	const batch = 50
	x, y := lesions(n, lesionTrainSeed)
	params := models.InitParams(net, 1)
	g, err := models.New(net, params, batch)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	opt, err := models.NewOptimizer(models.OptimizerConfig{Name: "adam", Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}, params)
	if err != nil {
		return nil, err
	}
	w, per := make([]float32, batch), len(x)/n
	for i := range w {
		w[i] = 1.0 / batch
	}
	for range epochs {
		for s := 0; s+batch <= n; s += batch {
			if _, err := g.Step(models.Batch{X: x[s*per : (s+batch)*per], Labels: y[s : s+batch], Weights: w}); err != nil {
				return nil, fmt.Errorf("train lesions: %w", err)
			}
			opt.Step(params, 1e-3)
		}
	}
	return params, nil
}

// imageDistribution is the card's development distribution of an image model, made
// with the calls validator's release makes for one (validator.distribution, not
// exported): the split's class shares and metrics.SummariseAt of every pixel at
// release.IntensityEdges.
func imageDistribution(x []float32, y []int32) (*release.CardDistribution, error) {
	d := &release.CardDistribution{Split: "validation", N: len(y), ClassShares: make([]float64, len(classes))}
	for _, v := range y {
		d.ClassShares[v]++
	}
	for c := range d.ClassShares {
		d.ClassShares[c] /= float64(len(y))
	}
	pixels := make([]float64, len(x))
	for i, v := range x {
		pixels[i] = float64(v)
	}
	s, err := metrics.SummariseAt(pixels, release.IntensityEdges())
	if err != nil {
		return nil, err
	}
	d.Intensity = &s
	return d, nil
}
