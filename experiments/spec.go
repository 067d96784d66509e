// Package experiments is the experiment spec: the YAML file a researcher writes to
// launch a training run, its defaults, its strict parsing and its validation. The
// runnable example specs sit beside this package as experiments/*.yaml.
package experiments

// Spec is one experiment. Field names are the YAML keys; unknown keys are errors.
// Parse fills defaults for absent fields and validates; Hash identifies it.
type Spec struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Runtime is "native" (the Go engine, the default) or "torch" (the researcher's
	// PyTorch script, launched by the agents as one process per rank).
	Runtime string      `yaml:"runtime,omitempty" json:"runtime,omitempty"`
	Dataset DatasetSpec `yaml:"dataset" json:"dataset"`
	// Code, Env, Seed and SilenceTimeout belong to runtime: torch only.
	Code           *CodeSpec         `yaml:"code,omitempty" json:"code,omitempty"`
	Env            map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	Seed           uint64            `yaml:"seed,omitempty" json:"seed,omitempty"`
	SilenceTimeout string            `yaml:"silence_timeout,omitempty" json:"silence_timeout,omitempty"`

	Model       ModelSpec      `yaml:"model" json:"model"`
	Training    TrainingSpec   `yaml:"training" json:"training"`
	Workers     WorkersSpec    `yaml:"workers" json:"workers"`
	MaxRestarts int            `yaml:"max_restarts" json:"max_restarts"`
	Checkpoint  CheckpointSpec `yaml:"checkpoint" json:"checkpoint"`
	Export      ExportSpec     `yaml:"export" json:"export"`

	// Project is the project the run is charged to ("" = the default project); its
	// quota, borrowing limit and weight decide when the run may start.
	Project string `yaml:"project,omitempty" json:"project,omitempty"`
	// Priority is a priority class ("" = normal): higher classes go first and may
	// preempt lower ones at a checkpoint.
	Priority string `yaml:"priority,omitempty" json:"priority,omitempty"`
	// TimeLimit (a Go duration, "" = none) bounds one attempt's running time: past it
	// the run checkpoints and stops. The scheduler uses it to backfill.
	TimeLimit string `yaml:"time_limit,omitempty" json:"time_limit,omitempty"`
}

// DatasetSpec says where the data is and which columns mean what.
type DatasetSpec struct {
	// Path is a local CSV file, relative to the working directory. Exactly one of
	// Path and ID is set.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// ID names a dataset ingested into the cluster (its manifest hash or name).
	ID string `yaml:"id,omitempty" json:"id,omitempty"`
	// Format of Path: "csv" (the default when Path is set).
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Label is the label column.
	Label string `yaml:"label" json:"label"`
	// Classes are the label values in order; for two classes, Classes[1] is the
	// positive class (the one the model's probability is about).
	Classes []string `yaml:"classes" json:"classes"`
	// Features are the feature columns; empty means every column except Label and Exclude.
	Features []string `yaml:"features,omitempty" json:"features,omitempty"`
	// Exclude lists columns that are neither features nor the label.
	Exclude []string `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	// Split is the train/validation/test fractions (default 0.70/0.15/0.15),
	// applied per class from Training.Seed.
	Split SplitSpec `yaml:"split" json:"split"`
}

// SplitSpec holds the fractions of a stratified split; they sum to 1.
type SplitSpec struct {
	Train      float64 `yaml:"train" json:"train"`
	Validation float64 `yaml:"validation" json:"validation"`
	Test       float64 `yaml:"test" json:"test"`
}

// ModelSpec chooses the architecture and its options.
type ModelSpec struct {
	// Architecture is "logreg", "mlp" or "cnn".
	Architecture string `yaml:"architecture" json:"architecture"`
	// Hidden are the hidden layer widths of an mlp, input side first.
	Hidden []int `yaml:"hidden,omitempty" json:"hidden,omitempty"`
	// InputShape is the per-sample shape [C, H, W] of a cnn; tabular models derive it
	// from the feature columns.
	InputShape []int `yaml:"input_shape,omitempty" json:"input_shape,omitempty"`
}

// TrainingSpec is the optimisation.
type TrainingSpec struct {
	Epochs    int           `yaml:"epochs" json:"epochs"`
	BatchSize int           `yaml:"batch_size" json:"batch_size"`
	Optimizer OptimizerSpec `yaml:"optimizer" json:"optimizer"`
	Schedule  ScheduleSpec  `yaml:"schedule" json:"schedule"`
	Seed      uint64        `yaml:"seed" json:"seed"`
}

// OptimizerSpec is SGD with momentum or Adam.
type OptimizerSpec struct {
	Name         string  `yaml:"name" json:"name"` // "sgd" or "adam"
	LearningRate float64 `yaml:"learning_rate" json:"learning_rate"`
	Momentum     float64 `yaml:"momentum,omitempty" json:"momentum,omitempty"` // sgd
	Beta1        float64 `yaml:"beta1" json:"beta1,omitempty"`                 // adam, default 0.9 (no yaml omitempty: an explicit 0 must survive a round trip)
	Beta2        float64 `yaml:"beta2" json:"beta2,omitempty"`                 // adam, default 0.999
	Epsilon      float64 `yaml:"epsilon,omitempty" json:"epsilon,omitempty"`   // adam, default 1e-8
	WeightDecay  float64 `yaml:"weight_decay,omitempty" json:"weight_decay,omitempty"`
}

// ScheduleSpec is the learning-rate schedule, by optimizer step.
type ScheduleSpec struct {
	Name        string  `yaml:"name" json:"name"` // "constant", "cosine" or "step"
	WarmupSteps int     `yaml:"warmup_steps,omitempty" json:"warmup_steps,omitempty"`
	StepSize    int     `yaml:"step_size,omitempty" json:"step_size,omitempty"` // step: decay every StepSize steps
	Gamma       float64 `yaml:"gamma,omitempty" json:"gamma,omitempty"`         // step: multiply by Gamma
	MinLR       float64 `yaml:"min_lr,omitempty" json:"min_lr,omitempty"`       // cosine: floor
}

// WorkersSpec is the gang the scheduler places: between Min and Max ranks.
type WorkersSpec struct {
	Min              int    `yaml:"min" json:"min"`
	Max              int    `yaml:"max" json:"max"`
	Device           string `yaml:"device,omitempty" json:"device,omitempty"` // "cpu" or "gpu"
	DevicesPerWorker int    `yaml:"devices_per_worker,omitempty" json:"devices_per_worker,omitempty"`
}

// CheckpointSpec is the checkpoint cadence and retention.
type CheckpointSpec struct {
	EverySteps int    `yaml:"every_steps" json:"every_steps"`
	KeepLast   int    `yaml:"keep_last" json:"keep_last"`
	KeepBest   string `yaml:"keep_best,omitempty" json:"keep_best,omitempty"` // a metric: val_auroc, val_accuracy, val_loss
}

// ExportSpec is what happens to the finished model.
type ExportSpec struct {
	ONNX bool `yaml:"onnx" json:"onnx"`
	// Opset is the ONNX opset (17).
	Opset int `yaml:"opset,omitempty" json:"opset,omitempty"`
	// Tolerance is the largest allowed |ONNX Runtime − Go| output difference (1e-4).
	Tolerance float64 `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
}
