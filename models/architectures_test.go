package models

import (
	"strings"
	"testing"
)

// TestDenseNetworksFlattenImages: mlp and logreg take an image dataset by flattening it
// (a leading flatten, the first dense layer C·H·W wide); shapes they cannot read are
// refused naming the shape.
func TestDenseNetworksFlattenImages(t *testing.T) {
	net, err := NewNetwork(Options{Architecture: "mlp", InputShape: []int{1, 28, 28}, Hidden: []int{256, 128}, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if net.Layers[0].Op != OpFlatten || net.Layers[1].Op != OpDense || net.Layers[1].In != 784 || net.InputSize() != 784 {
		t.Fatalf("layers %+v", net.Layers[:2])
	}
	if tab, _ := NewNetwork(Options{Architecture: "mlp", InputShape: []int{30}, Hidden: []int{8}, Classes: 2}); tab.Layers[0].Op != OpDense {
		t.Fatalf("a tabular mlp starts with %s", tab.Layers[0].Op)
	}
	for _, shape := range [][]int{{}, {0}, {3, 4}, {1, 0, 4}, {1, 2, 3, 4}} {
		if _, err := NewNetwork(Options{Architecture: "mlp", InputShape: shape, Hidden: []int{4}, Classes: 2}); err == nil ||
			!strings.Contains(err.Error(), "want [features] or an image's [C H W]") {
			t.Errorf("shape %v: %v", shape, err)
		}
	}
}
