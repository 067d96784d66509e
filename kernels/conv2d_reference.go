package kernels

// Conv2DForwardReference is the direct seven-loop convolution Conv2DForward is tested
// against, accumulating in float64. bias may be nil.
func Conv2DForwardReference(c Conv2D, x, w, bias, y []float32) error {
	oh, ow := c.OutH(), c.OutW()
	if err := c.checkBuffers(namedBuf{"x", x, c.N * c.C * c.H * c.W, false}, namedBuf{"w", w, c.K * c.C * c.R * c.S, false},
		namedBuf{"bias", bias, c.K, true}, namedBuf{"y", y, c.N * c.K * oh * ow, false}); err != nil {
		return err
	}
	for n := range c.N {
		for k := range c.K {
			for oy := range oh {
				for ox := range ow {
					var sum float64
					if bias != nil {
						sum = float64(bias[k])
					}
					for ch := range c.C {
						for r := range c.R {
							for s := range c.S {
								iy, ix := oy*c.Stride-c.Pad+r, ox*c.Stride-c.Pad+s
								if iy < 0 || iy >= c.H || ix < 0 || ix >= c.W {
									continue
								}
								sum += float64(x[((n*c.C+ch)*c.H+iy)*c.W+ix]) * float64(w[((k*c.C+ch)*c.R+r)*c.S+s])
							}
						}
					}
					y[((n*c.K+k)*oh+oy)*ow+ox] = float32(sum)
				}
			}
		}
	}
	return nil
}

// Conv2DBackwardReference computes dx, dw and db of a convolution directly from dy by
// accumulating every (input, weight, output) product in float64. dx and db may be nil.
func Conv2DBackwardReference(c Conv2D, x, w, dy, dx, dw, db []float32) error {
	oh, ow := c.OutH(), c.OutW()
	if err := c.checkBuffers(namedBuf{"x", x, c.N * c.C * c.H * c.W, false}, namedBuf{"w", w, c.K * c.C * c.R * c.S, false},
		namedBuf{"dy", dy, c.N * c.K * oh * ow, false}, namedBuf{"dx", dx, c.N * c.C * c.H * c.W, true},
		namedBuf{"dw", dw, c.K * c.C * c.R * c.S, false}, namedBuf{"db", db, c.K, true}); err != nil {
		return err
	}
	gx := make([]float64, len(x))
	gw := make([]float64, len(w))
	gb := make([]float64, c.K)
	for n := range c.N {
		for k := range c.K {
			for oy := range oh {
				for ox := range ow {
					g := float64(dy[((n*c.K+k)*oh+oy)*ow+ox])
					gb[k] += g
					for ch := range c.C {
						for r := range c.R {
							for s := range c.S {
								iy, ix := oy*c.Stride-c.Pad+r, ox*c.Stride-c.Pad+s
								if iy < 0 || iy >= c.H || ix < 0 || ix >= c.W {
									continue
								}
								xi, wi := ((n*c.C+ch)*c.H+iy)*c.W+ix, ((k*c.C+ch)*c.R+r)*c.S+s
								gx[xi] += g * float64(w[wi])
								gw[wi] += g * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	for i, v := range gw {
		dw[i] = float32(v)
	}
	if dx != nil {
		for i, v := range gx {
			dx[i] = float32(v)
		}
	}
	if db != nil {
		for i, v := range gb {
			db[i] = float32(v)
		}
	}
	return nil
}
