package ingest

// resizeArea resamples a one-channel h×w image to oh×ow by area averaging: each
// output pixel is the mean of the source area it covers, partial pixels
// weighted by their overlap. Downsizing (the usual case: 512² to 64²) then
// keeps every source pixel's contribution instead of sampling a few, which is
// what bilinear interpolation does at large factors; upsizing degrades to
// nearest-neighbour blocks. dst must hold oh*ow values.
func resizeArea(dst, src []float32, h, w, oh, ow int) {
	if h == oh && w == ow {
		copy(dst, src[:h*w])
		return
	}
	sy, sx := float64(h)/float64(oh), float64(w)/float64(ow)
	// Column spans are the same on every row: compute them once.
	type span struct {
		lo, hi       int
		wlo, whi, wm float64 // weight of the first, last and middle source columns
	}
	cols := make([]span, ow)
	for x := range ow {
		cols[x] = areaSpan(float64(x)*sx, float64(x+1)*sx, w)
	}
	row := make([]float64, ow)
	for y := range oh {
		ys := areaSpan(float64(y)*sy, float64(y+1)*sy, h)
		clear(row)
		for r := ys.lo; r <= ys.hi; r++ {
			wy := ys.wm
			switch r {
			case ys.lo:
				wy = ys.wlo
			case ys.hi:
				wy = ys.whi
			}
			if wy == 0 {
				continue
			}
			line := src[r*w : (r+1)*w]
			for x, c := range cols {
				var s float64
				if c.lo == c.hi {
					s = float64(line[c.lo]) * c.wlo
				} else {
					s = float64(line[c.lo])*c.wlo + float64(line[c.hi])*c.whi
					for i := c.lo + 1; i < c.hi; i++ {
						s += float64(line[i])
					}
				}
				row[x] += wy * s
			}
		}
		norm := 1 / (sy * sx)
		for x := range ow {
			dst[y*ow+x] = float32(row[x] * norm)
		}
	}
}

// areaSpan is the source pixels [a, b) covers along an axis of n pixels, with the
// overlap of its first and last pixel (a middle pixel counts whole).
func areaSpan(a, b float64, n int) (s struct {
	lo, hi       int
	wlo, whi, wm float64
}) {
	s.lo = min(int(a), n-1)
	s.hi = min(int(b-1e-9), n-1)
	s.wm = 1
	if s.lo == s.hi {
		s.wlo = b - a
		s.whi = s.wlo
		return s
	}
	s.wlo = float64(s.lo+1) - a
	s.whi = b - float64(s.hi)
	return s
}
