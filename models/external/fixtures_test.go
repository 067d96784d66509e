package external

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/onnx"
	"github.com/dxtrain/dxtrain/models/release"
)

var (
	features = []string{"marker", "noise"}
	classes  = []string{"benign", "malignant"}
)

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// population draws n rows: marker ~ N(shift + 2·y − 1, 1) with P(y = 1) = prevalence,
// noise ~ N(10, 2). Each value has many significant digits, so a leaked one is found.
func population(n int, prevalence, shift float64, seed uint64) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(seed, 99))
	x, y := make([]float32, 0, 2*n), make([]int32, n)
	for i := range y {
		if rng.Float64() < prevalence {
			y[i] = 1
		}
		x = append(x, float32(shift+2*float64(y[i])-1+rng.NormFloat64()), float32(10+2*rng.NormFloat64()))
	}
	return x, y
}

// fixture is a real release of a logreg on (marker, noise) — weight 1.5 on the marker,
// none on noise — signed by an approver, with the card's evaluation and development
// distribution computed through ONNX Runtime from a development population.
type fixture struct {
	v    *release.Verified
	site ed25519.PrivateKey
}

func newFixture(t testing.TB, withDistribution bool) *fixture {
	t.Helper()
	net, err := models.NewNetwork(models.Options{Architecture: "logreg", InputShape: []int{len(features)}, Classes: len(classes)})
	if err != nil {
		t.Fatal(err)
	}
	params := models.InitParams(net, 1)
	for _, p := range params {
		for i := range p.Data {
			p.Data[i] = 0
		}
	}
	params[0].Data[0] = 1.5 // the marker's weight
	model, err := onnx.Export(net, params, &models.Preprocess{Mean: []float32{0, 0}, Std: []float32{1, 1}},
		map[string]string{"dxtrain.features": `["marker","noise"]`, "dxtrain.classes": `["benign","malignant"]`})
	if err != nil {
		t.Fatal(err)
	}
	x, y := population(600, 0.3, 0, 1)
	sess, err := onnx.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := sess.Run(x, len(y))
	sess.Close()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := metrics.Report(probs, y, metrics.ReportOptions{ClassNames: classes})
	if err != nil {
		t.Fatal(err)
	}
	evaluation, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	card := release.Card{
		Schema: release.CardSchema, Name: "marker", Version: "1", IntendedUse: "Test.", IntendedUsers: "Tests.",
		Dataset:  release.CardDataset{Description: "synthetic", ManifestSHA256: hashOf("data")},
		Training: release.CardTraining{SpecSHA256: hashOf("spec"), Seed: 1}, Architecture: "logreg",
		Classes: classes, PositiveClass: "malignant", Features: features, Evaluation: evaluation,
		Limitations: []string{"Synthetic."}, CreatedAt: created, CodeVersion: "test",
	}
	if withDistribution {
		d := &release.CardDistribution{Split: "train", N: len(y), ClassShares: []float64{0, 0}}
		for _, v := range y {
			d.ClassShares[v] += 1 / float64(len(y))
		}
		d.ClassShares[0] = 1 - d.ClassShares[1]
		for j, f := range features {
			col := make([]float64, len(y))
			for i := range col {
				col[i] = float64(x[i*2+j])
			}
			s, err := metrics.Summarise(col)
			if err != nil {
				t.Fatal(err)
			}
			d.Features = append(d.Features, release.CardFeature{Name: f, Distribution: s})
		}
		card.Distribution = d
	}
	f, err := sealFixture(model, card, float64(rep.Overall.Binary.AUROC.Estimate))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sealFixture signs model and card as an approver's release would, with a statement
// naming the development AUROC, verifies it, and gives the trust a site key.
func sealFixture(model []byte, card release.Card, auroc float64) (*fixture, error) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	st := release.Statement{Schema: release.StatementSchema, ModelName: card.Name, ModelVersion: card.Version,
		CheckpointManifestSHA256: hashOf("cp"), DatasetManifestSHA256: hashOf("data"), SpecSHA256: hashOf("spec"),
		CodeVersion: "test", Metrics: map[string]float64{"test_auroc": auroc},
		Approver: "Approver", CreatedAt: card.CreatedAt}
	files, err := release.Seal(model, card, st, priv)
	if err != nil {
		return nil, err
	}
	v, err := release.VerifyBytes(files, pub)
	if err != nil {
		return nil, err
	}
	_, site, _ := ed25519.GenerateKey(nil)
	return &fixture{v: v, site: site}, nil
}

// csvOf writes rows as the trust's CSV: the card's columns (or renamed), the label,
// and a site column.
func csvOf(x []float32, y []int32, header string, site func(i int) string) (string, []string) {
	var b strings.Builder
	b.WriteString(header + "\n")
	var cells []string
	for i, label := range y {
		a, n := strconv.FormatFloat(float64(x[2*i]), 'g', -1, 32), strconv.FormatFloat(float64(x[2*i+1]), 'g', -1, 32)
		cells = append(cells, a, n)
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", a, n, classes[label], site(i))
	}
	return b.String(), cells
}

func twoSites(i int) string {
	if i%20 == 0 {
		return "small" // 1 in 20: under the floor in a small set
	}
	return "main"
}
