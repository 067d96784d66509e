package checkpoint

import (
	"fmt"

	"github.com/dxtrain/dxtrain/models"
)

// upgradeDenseLayout turns the tensors of a format 1 checkpoint into today's layout: each
// dense layer's weight, and every optimizer tensor of that weight (models.StateParam),
// from [in, out] into [out, in]. The values are the same, so a resumed or replayed run
// continues bit for bit.
func upgradeDenseLayout(net models.Network, params, optimizer map[string][]float32) error {
	for _, l := range net.Layers {
		if l.Op != models.OpDense {
			continue
		}
		transpose := func(name string, v []float32) error {
			if len(v) != l.In*l.Out {
				return fmt.Errorf("%w: tensor %s has %d values, layer %s is %d×%d", ErrMalformed, name, len(v), l.Weight, l.In, l.Out)
			}
			old := append([]float32(nil), v...)
			models.TransposeInto(v, old, l.In, l.Out)
			return nil
		}
		if v, ok := params[l.Weight]; ok {
			if err := transpose(l.Weight, v); err != nil {
				return err
			}
		}
		for name, v := range optimizer {
			if param, ok := models.StateParam(name); ok && param == l.Weight {
				if err := transpose(name, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
