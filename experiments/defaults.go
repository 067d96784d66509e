package experiments

// Default values ApplyDefaults fills in.
const (
	DefaultFormat           = "csv"
	DefaultTrainSplit       = 0.70
	DefaultValSplit         = 0.15
	DefaultTestSplit        = 0.15
	DefaultWorkers          = 1
	DefaultDevice           = "cpu"
	DefaultDevicesPerWorker = 1
	DefaultMaxRestarts      = 3
	DefaultOptimizer        = "adam"
	DefaultBeta1            = 0.9
	DefaultBeta2            = 0.999
	DefaultEpsilon          = 1e-8
	DefaultSchedule         = "constant"
	DefaultKeepLast         = 3
	DefaultOpset            = SupportedOpset
	DefaultTolerance        = 1e-4
)

// ApplyDefaults fills every field left at its zero value that has a default.
// It cannot tell an absent field from an explicit zero; Parse, which sees the
// YAML, fills only absent fields, so a written zero is kept (max_restarts: 0,
// beta1: 0) or reported by Validate (opset: 0), never silently replaced.
func (s *Spec) ApplyDefaults() { s.applyDefaults(func(string) bool { return false }) }

// applyDefaults fills a default where the field is zero and present reports
// that its path was not written in the source.
func (s *Spec) applyDefaults(present func(path string) bool) {
	unset := func(path string, zero bool) bool { return zero && !present(path) }

	s.applySharedDefaults(unset)
	if s.IsTorch() {
		return // the script owns the model, the optimisation, the split and the export
	}
	d := &s.Dataset
	if d.Path != "" && unset("dataset.format", d.Format == "") {
		d.Format = DefaultFormat
	}
	if unset("dataset.split", d.Split == (SplitSpec{})) {
		d.Split = SplitSpec{Train: DefaultTrainSplit, Validation: DefaultValSplit, Test: DefaultTestSplit}
	}

	o := &s.Training.Optimizer
	if unset("training.optimizer.name", o.Name == "") {
		o.Name = DefaultOptimizer
	}
	if o.Name == "adam" {
		if unset("training.optimizer.beta1", o.Beta1 == 0) {
			o.Beta1 = DefaultBeta1
		}
		if unset("training.optimizer.beta2", o.Beta2 == 0) {
			o.Beta2 = DefaultBeta2
		}
		if unset("training.optimizer.epsilon", o.Epsilon == 0) {
			o.Epsilon = DefaultEpsilon
		}
	}
	if unset("training.schedule.name", s.Training.Schedule.Name == "") {
		s.Training.Schedule.Name = DefaultSchedule
	}

	if unset("export.opset", s.Export.Opset == 0) {
		s.Export.Opset = DefaultOpset
	}
	if unset("export.tolerance", s.Export.Tolerance == 0) {
		s.Export.Tolerance = DefaultTolerance
	}
}

// applySharedDefaults fills the fields both runtimes read: the gang, the restarts and
// the checkpoint retention.
func (s *Spec) applySharedDefaults(unset func(path string, zero bool) bool) {
	w := &s.Workers
	if unset("workers.min", w.Min == 0) {
		w.Min = DefaultWorkers
	}
	if unset("workers.max", w.Max == 0) {
		w.Max = max(w.Min, DefaultWorkers)
	}
	if unset("workers.device", w.Device == "") {
		w.Device = DefaultDevice
	}
	if unset("workers.devices_per_worker", w.DevicesPerWorker == 0) {
		w.DevicesPerWorker = DefaultDevicesPerWorker
	}
	if unset("max_restarts", s.MaxRestarts == 0) {
		s.MaxRestarts = DefaultMaxRestarts
	}
	if unset("checkpoint.keep_last", s.Checkpoint.KeepLast == 0) {
		s.Checkpoint.KeepLast = DefaultKeepLast
	}
}
