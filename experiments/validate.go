package experiments

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"
)

// Limits that Validate enforces. They are generous; they exist so that a typo
// (an extra zero or three) fails at submission instead of hours into a run.
const (
	MaxEpochs           = 100_000
	MaxBatchSize        = 65_536
	MaxLearningRate     = 10.0
	MaxLayerWidth       = 65_536
	MaxWorkers          = 1024
	MaxDevicesPerWorker = 64
	MaxRestartsLimit    = 100
	MaxKeepLast         = 1000
	MaxTolerance        = 0.01
	// SupportedOpset is the only ONNX opset the exporter writes.
	SupportedOpset = 17
)

// namePattern is a DNS label: it becomes part of object-store keys, URLs and
// file names, so it is kept to the safest common alphabet.
var namePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

var (
	architectures = []string{"logreg", "mlp", "cnn"}
	optimizers    = []string{"sgd", "adam"}
	schedules     = []string{"constant", "cosine", "step"}
	devices       = []string{"cpu", "gpu"}
	keepBestNames = []string{"", "val_auroc", "val_accuracy", "val_loss"}
)

// Validate checks every field against its allowed range and returns a
// *SpecError listing all problems (with field paths, no lines), or nil. Call it
// after ApplyDefaults; Parse does both and adds line numbers.
func (s *Spec) Validate() error {
	var v validator
	v.check(namePattern.MatchString(s.Name), "name", "must be a lower-case DNS label (a-z, 0-9, '-', 1-63 characters, starting and ending with a letter or digit), got %q", s.Name)
	v.check(s.Runtime == "" || s.Runtime == RuntimeNative || s.Runtime == RuntimeTorch, "runtime", "must be %q or %q, got %q", RuntimeNative, RuntimeTorch, s.Runtime)
	if s.IsTorch() {
		v.torch(s)
	} else {
		v.dataset(&s.Dataset)
		v.model(&s.Model)
		v.training(&s.Training)
		v.export(&s.Export)
		v.check(s.Code == nil && len(s.Env) == 0 && s.Seed == 0 && s.SilenceTimeout == "", "runtime", "code, env, seed and silence_timeout apply to runtime: torch only")
	}
	v.workers(&s.Workers)
	v.check(s.MaxRestarts >= 0 && s.MaxRestarts <= MaxRestartsLimit, "max_restarts", "must be in [0, %d], got %d", MaxRestartsLimit, s.MaxRestarts)
	v.checkpoint(&s.Checkpoint)
	v.scheduling(s)
	if len(v.problems) == 0 {
		return nil
	}
	return &SpecError{Problems: v.problems}
}

type validator struct{ problems []Problem }

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) check(ok bool, field, format string, args ...any) {
	if !ok {
		v.add(field, format, args...)
	}
}

func (v *validator) oneOf(field, got string, allowed []string) {
	v.check(slices.Contains(allowed, got), field, "must be one of %q, got %q", allowed, got)
}

// unique reports empty or repeated entries of a list of names.
func (v *validator) unique(field string, names []string) {
	seen := map[string]bool{}
	for i, n := range names {
		at := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case n == "":
			v.add(at, "must not be empty")
		case seen[n]:
			v.add(at, "%q is listed twice", n)
		}
		seen[n] = true
	}
}

func (v *validator) dataset(d *DatasetSpec) {
	switch {
	case d.Path == "" && d.ID == "":
		v.add("dataset", "needs one of path (a local CSV file) or id (an ingested dataset)")
	case d.Path != "" && d.ID != "":
		v.add("dataset", "has both path and id; give exactly one")
	}
	if d.Path != "" {
		v.check(d.Format == "csv", "dataset.format", "must be \"csv\" for a local path, got %q", d.Format)
	}
	v.check(d.Label != "", "dataset.label", "is required: the name of the label column")
	v.check(len(d.Classes) >= 2, "dataset.classes", "needs at least 2 classes, got %d", len(d.Classes))
	v.unique("dataset.classes", d.Classes)
	v.unique("dataset.features", d.Features)
	v.unique("dataset.exclude", d.Exclude)
	for i, f := range d.Features {
		at := fmt.Sprintf("dataset.features[%d]", i)
		v.check(f == "" || f != d.Label, at, "%q is the label column", f)
		v.check(f == "" || !slices.Contains(d.Exclude, f), at, "%q is also in dataset.exclude", f)
	}
	for i, f := range d.Exclude {
		v.check(f == "" || f != d.Label, fmt.Sprintf("dataset.exclude[%d]", i), "%q is the label column", f)
	}
	sp := d.Split
	for _, f := range []struct {
		name string
		val  float64
	}{{"train", sp.Train}, {"validation", sp.Validation}, {"test", sp.Test}} {
		v.check(f.val > 0 && f.val < 1, "dataset.split."+f.name, "must be in (0, 1), got %v", f.val)
	}
	if sum := sp.Train + sp.Validation + sp.Test; math.Abs(sum-1) > 1e-9 {
		v.add("dataset.split", "fractions must sum to 1, got %v", sum)
	}
}

func (v *validator) model(m *ModelSpec) {
	v.oneOf("model.architecture", m.Architecture, architectures)
	for i, w := range m.Hidden {
		v.check(w >= 1 && w <= MaxLayerWidth, fmt.Sprintf("model.hidden[%d]", i), "must be in [1, %d], got %d", MaxLayerWidth, w)
	}
	switch m.Architecture {
	case "logreg":
		v.check(len(m.Hidden) == 0, "model.hidden", "must be empty for logreg (it has no hidden layers)")
	case "mlp":
		v.check(len(m.Hidden) >= 1, "model.hidden", "mlp needs at least one hidden layer width")
	case "cnn":
		if len(m.InputShape) != 3 {
			v.add("model.input_shape", "cnn needs [channels, height, width], got %d values", len(m.InputShape))
		}
		for i, d := range m.InputShape {
			v.check(d >= 1 && d <= MaxLayerWidth, fmt.Sprintf("model.input_shape[%d]", i), "must be in [1, %d], got %d", MaxLayerWidth, d)
		}
	}
	if m.Architecture != "cnn" {
		v.check(len(m.InputShape) == 0, "model.input_shape", "applies to cnn only (tabular models take their width from the features)")
	}
}

func (v *validator) training(t *TrainingSpec) {
	v.check(t.Epochs >= 1 && t.Epochs <= MaxEpochs, "training.epochs", "must be in [1, %d], got %d", MaxEpochs, t.Epochs)
	v.check(t.BatchSize >= 1 && t.BatchSize <= MaxBatchSize, "training.batch_size", "must be in [1, %d], got %d", MaxBatchSize, t.BatchSize)

	o := &t.Optimizer
	v.oneOf("training.optimizer.name", o.Name, optimizers)
	v.check(o.LearningRate > 0 && o.LearningRate <= MaxLearningRate, "training.optimizer.learning_rate", "must be in (0, %v], got %v", MaxLearningRate, o.LearningRate)
	v.check(o.Momentum >= 0 && o.Momentum < 1, "training.optimizer.momentum", "must be in [0, 1), got %v", o.Momentum)
	v.check(o.WeightDecay >= 0 && o.WeightDecay <= 1, "training.optimizer.weight_decay", "must be in [0, 1], got %v", o.WeightDecay)
	switch o.Name {
	case "adam":
		v.check(o.Beta1 >= 0 && o.Beta1 < 1, "training.optimizer.beta1", "must be in [0, 1), got %v", o.Beta1)
		v.check(o.Beta2 >= 0 && o.Beta2 < 1, "training.optimizer.beta2", "must be in [0, 1), got %v", o.Beta2)
		v.check(o.Epsilon > 0 && o.Epsilon <= 1, "training.optimizer.epsilon", "must be in (0, 1], got %v", o.Epsilon)
		v.check(o.Momentum == 0, "training.optimizer.momentum", "applies to sgd only; adam uses beta1")
	case "sgd":
		for _, f := range []struct {
			name string
			val  float64
		}{{"beta1", o.Beta1}, {"beta2", o.Beta2}, {"epsilon", o.Epsilon}} {
			v.check(f.val == 0, "training.optimizer."+f.name, "applies to adam only; sgd uses momentum")
		}
	}

	sc := &t.Schedule
	v.oneOf("training.schedule.name", sc.Name, schedules)
	v.check(sc.WarmupSteps >= 0, "training.schedule.warmup_steps", "must be ≥ 0, got %d", sc.WarmupSteps)
	if sc.Name == "step" {
		v.check(sc.StepSize >= 1, "training.schedule.step_size", "step schedule needs step_size ≥ 1, got %d", sc.StepSize)
		v.check(sc.Gamma > 0 && sc.Gamma <= 1, "training.schedule.gamma", "step schedule needs gamma in (0, 1], got %v", sc.Gamma)
	} else {
		v.check(sc.StepSize == 0, "training.schedule.step_size", "applies to the step schedule only")
		v.check(sc.Gamma == 0, "training.schedule.gamma", "applies to the step schedule only")
	}
	if sc.Name == "cosine" {
		v.check(sc.MinLR >= 0 && sc.MinLR <= o.LearningRate, "training.schedule.min_lr", "must be in [0, learning_rate %v], got %v", o.LearningRate, sc.MinLR)
	} else {
		v.check(sc.MinLR == 0, "training.schedule.min_lr", "applies to the cosine schedule only")
	}
}

func (v *validator) workers(w *WorkersSpec) {
	v.check(w.Min >= 1 && w.Min <= MaxWorkers, "workers.min", "must be in [1, %d], got %d", MaxWorkers, w.Min)
	v.check(w.Max >= w.Min && w.Max <= MaxWorkers, "workers.max", "must be in [workers.min %d, %d], got %d", w.Min, MaxWorkers, w.Max)
	v.oneOf("workers.device", w.Device, devices)
	v.check(w.DevicesPerWorker >= 1 && w.DevicesPerWorker <= MaxDevicesPerWorker, "workers.devices_per_worker", "must be in [1, %d], got %d", MaxDevicesPerWorker, w.DevicesPerWorker)
}

func (v *validator) checkpoint(c *CheckpointSpec) {
	v.check(c.EverySteps >= 0, "checkpoint.every_steps", "must be ≥ 0 (0 checkpoints only at the end), got %d", c.EverySteps)
	v.check(c.KeepLast >= 1 && c.KeepLast <= MaxKeepLast, "checkpoint.keep_last", "must be in [1, %d], got %d", MaxKeepLast, c.KeepLast)
	v.check(slices.Contains(keepBestNames, c.KeepBest), "checkpoint.keep_best", "must be empty or one of %q, got %q", keepBestNames[1:], c.KeepBest)
}

func (v *validator) export(e *ExportSpec) {
	v.check(e.Opset == SupportedOpset, "export.opset", "only opset %d is supported, got %d", SupportedOpset, e.Opset)
	v.check(e.Tolerance > 0 && e.Tolerance <= MaxTolerance, "export.tolerance", "must be in (0, %v], got %v", MaxTolerance, e.Tolerance)
}

// ValidName reports whether s is a lower-case DNS label: the form of experiment,
// project and priority class names.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// scheduling checks the names and the time limit; whether the project and the
// priority class exist is the cluster's to say at submit.
func (v *validator) scheduling(s *Spec) {
	v.check(s.Project == "" || namePattern.MatchString(s.Project), "project", "must be a lower-case DNS label, got %q", s.Project)
	v.check(s.Priority == "" || namePattern.MatchString(s.Priority), "priority", "must be a lower-case DNS label, got %q", s.Priority)
	if s.TimeLimit != "" {
		d, err := time.ParseDuration(s.TimeLimit)
		v.check(err == nil && d > 0, "time_limit", "must be a positive duration such as 90m or 12h, got %q", s.TimeLimit)
	}
}

// TimeLimitDuration is the parsed time limit, 0 when there is none (Validate has
// refused a malformed one).
func (s *Spec) TimeLimitDuration() time.Duration {
	d, err := time.ParseDuration(s.TimeLimit)
	if err != nil || s.TimeLimit == "" {
		return 0
	}
	return d
}
