package experiments

import (
	"path/filepath"
	"testing"
)

// TestExampleSpecs parses and validates every shipped experiments/*.yaml, so a
// broken example fails CI instead of a newcomer's first run.
func TestExampleSpecs(t *testing.T) {
	paths, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no experiments/*.yaml found next to the package")
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			s, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if want := p[:len(p)-len(".yaml")]; s.Name != want {
				t.Errorf("name %q, want the file name %q", s.Name, want)
			}
			if s.Dataset.Path != "" {
				// Paths are relative to the repository root.
				if m, _ := filepath.Glob(filepath.Join("..", s.Dataset.Path)); len(m) != 1 {
					t.Errorf("dataset.path %q does not exist relative to the repository root", s.Dataset.Path)
				}
			}
		})
	}
}

// TestWDBCExamples pins what the issue asks of the two WDBC specs.
func TestWDBCExamples(t *testing.T) {
	mlp, err := Load("wdbc-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if mlp.Model.Architecture != "mlp" || mlp.Training.Optimizer.Name != "adam" || mlp.Checkpoint.KeepBest != "val_auroc" ||
		!mlp.Export.ONNX || mlp.Dataset.Label != "diagnosis" || len(mlp.Dataset.Classes) != 2 || mlp.Dataset.Classes[1] != "M" {
		t.Errorf("wdbc-mlp: %+v", mlp)
	}
	lr, err := Load("wdbc-logreg.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if lr.Model.Architecture != "logreg" || lr.Training.Optimizer.Name != "sgd" || lr.Training.Optimizer.Momentum == 0 || !lr.Export.ONNX {
		t.Errorf("wdbc-logreg: %+v", lr)
	}
}
