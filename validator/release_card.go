package validator

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models/metrics"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/trainer/loop"
)

// card describes the model for the trust; defaults are conservative.
func (in *releaseInput) card(ver string, now time.Time) release.Card {
	cfg, d := in.cfg, in.data
	positive := d.Classes[len(d.Classes)-1]
	c := release.Card{
		Schema: release.CardSchema, Name: cfg.Name, Version: ver, Experiment: in.spec.Name,
		IntendedUse: cfg.IntendedUse, IntendedUsers: cfg.IntendedUsers,
		Dataset:      release.CardDataset{Description: cfg.DatasetDescription, ManifestSHA256: d.Hash},
		Training:     release.CardTraining{SpecSHA256: in.spec.Hash(), Seed: in.spec.Training.Seed},
		Architecture: in.architecture, Runtime: in.runtime, CodeBundleSHA256: in.codeBundle, Framework: in.framework,
		Classes: d.Classes, PositiveClass: positive,
		Features: d.Features, Evaluation: json.RawMessage(in.evaluation), Distribution: distribution(d), Limitations: cfg.Limitations,
		CreatedAt: now, CodeVersion: version.String(),
	}
	if c.Features == nil {
		c.Features = []string{}
	}
	if c.IntendedUse == "" {
		c.IntendedUse = fmt.Sprintf("Decision support: estimates the probability of class %s from the model's inputs. Not a diagnosis on its own.", positive)
	}
	if c.IntendedUsers == "" {
		c.IntendedUsers = "Clinicians and researchers at trusts that verified this release with the approver's public key."
	}
	if c.Dataset.Description == "" {
		src := in.spec.Dataset.ID
		if src == "" {
			src = filepath.Base(in.spec.Dataset.Path)
		}
		c.Dataset.Description = fmt.Sprintf("%s: %d classes, %d inputs per sample; %d training, %d validation and %d test samples (split by seed %d).",
			src, len(d.Classes), sampleSize(d), d.Train.N, d.Validation.N, d.Test.N, in.spec.Training.Seed)
	}
	if len(c.Limitations) == 0 {
		c.Limitations = []string{
			fmt.Sprintf("Evaluated only on the held-out test split (%d samples) of its training dataset; performance on other populations, sites or devices is unknown.", d.Test.N),
			"Not for use as the sole basis of a diagnosis.",
		}
	}
	return c
}

func sampleSize(d *loop.Data) int {
	n := 1
	for _, s := range d.InputShape {
		n *= s
	}
	if len(d.InputShape) == 0 {
		n = len(d.Features)
	}
	return n
}

// summarise picks the headline test metrics the statement signs and the registry lists.
func summarise(r *metrics.ClinicalReport) map[string]float64 {
	out := map[string]float64{"test_n": float64(r.N)}
	put := func(k string, v metrics.Stat) {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			out[k] = f
		}
	}
	if b := r.Overall.Binary; b != nil {
		if b.AUROC.Computable {
			put("test_auroc", b.AUROC.Estimate)
			put("test_auroc_ci_lower", b.AUROC.Lower)
			put("test_auroc_ci_upper", b.AUROC.Upper)
		}
		p := b.AtThreshold
		for k, v := range map[string]metrics.Stat{"test_sensitivity": p.Sensitivity, "test_specificity": p.Specificity,
			"test_ppv": p.PPV, "test_npv": p.NPV, "test_accuracy": p.Accuracy, "test_brier": b.Brier} {
			put(k, v)
		}
	}
	if m := r.Overall.Multiclass; m != nil {
		put("test_accuracy", m.Accuracy)
		put("test_brier", m.Brier)
		put("test_macro_auroc", m.Macro.AUROC)
	}
	return out
}
