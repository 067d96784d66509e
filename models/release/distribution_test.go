package release

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dxtrain/dxtrain/models/metrics"
)

func testDistribution(c *Card) *CardDistribution {
	d := &CardDistribution{Split: "train", N: 398, ClassShares: make([]float64, len(c.Classes))}
	d.ClassShares[0], d.ClassShares[1] = 0.625, 0.375
	for _, f := range c.Features {
		d.Features = append(d.Features, CardFeature{Name: f, Distribution: metrics.Distribution{
			Mean: 14.1, SD: 3.5, Edges: []float64{10, 12, 14}, Proportions: []float64{0.1, 0.3, 0.3, 0.3}}})
	}
	return d
}

func TestCardDistributionRoundTripsAndOldCardsRead(t *testing.T) {
	old := testCard()
	oldJSON, err := old.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(oldJSON, []byte("distribution")) {
		t.Fatal("a card without a distribution encodes the key")
	}
	if _, err := ParseCard(oldJSON); err != nil {
		t.Fatalf("a card without a distribution: %v", err)
	}
	c := testCard()
	c.Distribution = testDistribution(&c)
	b, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseCard(b)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Distribution == nil || parsed.Distribution.Features[0].Edges[2] != 14 || parsed.Distribution.ClassShares[1] != 0.375 {
		t.Fatalf("distribution lost: %+v", parsed.Distribution)
	}
}

func TestCardDistributionRefusesBadSummaries(t *testing.T) {
	cases := map[string]func(d *CardDistribution){
		"unknown split":        func(d *CardDistribution) { d.Split = "all" },
		"class shares count":   func(d *CardDistribution) { d.ClassShares = []float64{1} },
		"class shares sum":     func(d *CardDistribution) { d.ClassShares[0] = 0.9 },
		"feature order":        func(d *CardDistribution) { d.Features[0].Name = "other" },
		"edges not increasing": func(d *CardDistribution) { d.Features[0].Edges = []float64{10, 10, 14} },
		"shares for the edges": func(d *CardDistribution) { d.Features[0].Proportions = []float64{0.5, 0.5} },
		"negative sd":          func(d *CardDistribution) { d.Features[0].SD = -1 },
		"intensity shares": func(d *CardDistribution) {
			d.Intensity = &metrics.Distribution{Edges: IntensityEdges(), Proportions: []float64{1}}
		},
		"too few features kept": func(d *CardDistribution) { d.Features = d.Features[:1] },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			c := testCard()
			c.Distribution = testDistribution(&c)
			edit(c.Distribution)
			if _, err := c.Encode(); !errors.Is(err, ErrInvalidCard) {
				t.Fatalf("got %v, want ErrInvalidCard", err)
			}
		})
	}
}
