package loop

import (
	"github.com/dxtrain/dxtrain/models"
	"github.com/dxtrain/dxtrain/models/metrics"
)

// Scores are the metrics of one split: binary models report AUROC of the positive
// class, multi-class models the macro one-vs-rest AUROC.
type Scores struct {
	N        int     `json:"n"`
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	AUROC    float64 `json:"auroc"`
}

// Evaluate runs the plain-Go forward pass over a split and scores it.
func Evaluate(net models.Network, params []*models.Param, s Split) (Scores, []float32, error) {
	probs, err := models.Infer(net, params, s.X, s.N)
	if err != nil {
		return Scores{}, nil, err
	}
	if net.Head == models.HeadSigmoid {
		b, err := metrics.EvaluateBinary(probs, s.Y)
		if err != nil {
			return Scores{}, nil, err
		}
		return Scores{N: b.N, Loss: b.LogLoss, Accuracy: b.Accuracy, AUROC: b.AUROC}, probs, nil
	}
	m, err := metrics.EvaluateMulticlass(probs, s.Y, net.Classes)
	if err != nil {
		return Scores{}, nil, err
	}
	return Scores{N: m.N, Loss: m.LogLoss, Accuracy: m.Accuracy, AUROC: m.MacroAUROC}, probs, nil
}

// metricMap names validation scores as checkpoints and keep_best refer to them.
func (s Scores) metricMap(prefix string) map[string]float64 {
	return map[string]float64{prefix + "_loss": s.Loss, prefix + "_accuracy": s.Accuracy, prefix + "_auroc": s.AUROC}
}
