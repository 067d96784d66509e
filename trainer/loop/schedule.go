package loop

import (
	"math"

	"github.com/dxtrain/dxtrain/experiments"
)

// LearningRate is the schedule's rate for optimizer step (0-based) of total steps:
// a linear warm-up, then constant, cosine decay to MinLR, or step decay by Gamma.
func LearningRate(s experiments.ScheduleSpec, base float64, step, total int64) float64 {
	if w := int64(s.WarmupSteps); w > 0 && step < w {
		return base * float64(step+1) / float64(w)
	}
	switch s.Name {
	case "cosine":
		span := total - int64(s.WarmupSteps)
		if span <= 0 {
			return base
		}
		progress := float64(step-int64(s.WarmupSteps)) / float64(span)
		return s.MinLR + (base-s.MinLR)*0.5*(1+math.Cos(math.Pi*math.Min(progress, 1)))
	case "step":
		if s.StepSize <= 0 {
			return base
		}
		return base * math.Pow(s.Gamma, float64((step-int64(s.WarmupSteps))/int64(s.StepSize)))
	}
	return base
}
