package external

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dxtrain/dxtrain/datasets/readers"
	"github.com/dxtrain/dxtrain/models/release"
)

// ReadImages reads the trust's labelled images in a format datasets ingest reads: one
// split of a MedMNIST-layout .npz (labels inside), or an IDX images file with its IDX
// labels file. Labels are class indices and must be below the card's class count.
func ReadImages(path, labels, split string, card *release.Card) (*Data, error) {
	var im *readers.Images
	var err error
	if strings.EqualFold(filepath.Ext(path), ".npz") {
		im, err = npzSplit(path, split)
	} else {
		if labels == "" {
			return nil, fmt.Errorf("%s: an IDX images file needs its IDX labels file (--label FILE)", path)
		}
		if _, err := os.Stat(labels); err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		im, err = readers.LoadIDXImages(path, labels, 0)
	}
	if err != nil {
		return nil, err
	}
	if im == nil || im.N == 0 {
		return nil, fmt.Errorf("%s: no images", path)
	}
	bad, first := 0, -1
	for i, y := range im.Y {
		if y < 0 || int(y) >= len(card.Classes) {
			bad++
			if first < 0 {
				first = i
			}
		}
	}
	if bad > 0 {
		return nil, fmt.Errorf("%s: %w: %d labels (first at image %d) are not class indices 0..%d of %v",
			path, ErrLabels, bad, first, len(card.Classes)-1, card.Classes)
	}
	return &Data{X: im.X, N: im.N, Y: im.Y, Images: true}, nil
}

func npzSplit(path, split string) (*readers.Images, error) {
	m, err := readers.LoadMedMNIST(path, 0)
	if err != nil {
		return nil, err
	}
	switch split {
	case "train":
		return m.Train, nil
	case "val", "validation":
		return m.Validation, nil
	case "test", "":
		return m.Test, nil
	}
	return nil, fmt.Errorf("split %q: want train, val or test", split)
}
