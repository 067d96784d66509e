package experiments

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateProgrammatic(t *testing.T) {
	var empty Spec
	err := empty.Validate()
	var se *SpecError
	if !errors.As(err, &se) || !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("Validate of an empty spec: %v", err)
	}
	for _, field := range []string{"name", "dataset", "dataset.label", "dataset.classes", "model.architecture", "training.epochs", "export.opset"} {
		if !strings.Contains(err.Error(), "spec: "+field+": ") {
			t.Errorf("error does not name %s:\n%v", field, err)
		}
	}

	s := Spec{
		Name:     "cnn-example",
		Dataset:  DatasetSpec{ID: "mnist-like", Label: "y", Classes: []string{"a", "b", "c"}},
		Model:    ModelSpec{Architecture: "cnn", InputShape: []int{1, 28, 28}, Hidden: []int{64}},
		Training: TrainingSpec{Epochs: 1, BatchSize: 8, Optimizer: OptimizerSpec{Name: "sgd", LearningRate: 0.1, Momentum: 0.9}, Schedule: ScheduleSpec{Name: "step", StepSize: 10, Gamma: 0.1}},
		Workers:  WorkersSpec{Min: 2, Max: 4, Device: "gpu"},
	}
	s.ApplyDefaults()
	if err := s.Validate(); err != nil {
		t.Errorf("valid programmatic spec rejected: %v", err)
	}
}
