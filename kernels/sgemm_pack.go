package kernels

// packA copies op(A)[i0:i0+mc][p0:p0+kc] into dst as ceil(mc/mr) panels; panel q holds, for
// each p, the mr values op(A)[i0+q*mr+r][p0+p], r < mr, with rows past mc set to zero.
func packA(dst, a []float32, lda int, trans bool, i0, mc, p0, kc, mr int) {
	for q := 0; q*mr < mc; q++ {
		panel := dst[q*mr*kc : (q+1)*mr*kc]
		rows := min(mr, mc-q*mr)
		ib := i0 + q*mr
		if trans {
			// op(A)[i][p] = a[p*lda+i]: each p gives mr contiguous values.
			for p := range kc {
				src := a[(p0+p)*lda+ib:]
				d := panel[p*mr : p*mr+mr]
				copy(d, src[:rows])
				clear(d[rows:])
			}
			continue
		}
		// op(A)[i][p] = a[i*lda+p]: each row is contiguous in p and strided in the panel.
		for r := range rows {
			src := a[(ib+r)*lda+p0 : (ib+r)*lda+p0+kc]
			for p, v := range src {
				panel[p*mr+r] = v
			}
		}
		for r := rows; r < mr; r++ {
			for p := range kc {
				panel[p*mr+r] = 0
			}
		}
	}
}

// packB copies op(B)[p0:p0+kc][j0:j0+nc] into dst as ceil(nc/nr) panels; panel q holds, for
// each p, the nr values op(B)[p0+p][j0+q*nr+c], c < nr, with columns past nc set to zero.
func packB(dst, b []float32, ldb int, trans bool, p0, kc, j0, nc, nr int) {
	for q := 0; q*nr < nc; q++ {
		panel := dst[q*nr*kc : (q+1)*nr*kc]
		cols := min(nr, nc-q*nr)
		jb := j0 + q*nr
		if !trans {
			// op(B)[p][j] = b[p*ldb+j]: each p gives nr contiguous values.
			for p := range kc {
				src := b[(p0+p)*ldb+jb:]
				d := panel[p*nr : p*nr+nr]
				copy(d, src[:cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: each column j of op(B) is a contiguous row of b. Sixteen
		// rows at a time go through the vector transpose where there is one; four rows at a
		// time keeps four read streams and writes four adjacent values per p.
		c := 0
		if transpose16 != nil && kc >= 16 {
			c = cols / 16 * 16
			transposeBlock(panel, nr, b[jb*ldb+p0:], ldb, c, kc)
		}
		for ; c+4 <= cols; c += 4 {
			r0 := b[(jb+c)*ldb+p0 : (jb+c)*ldb+p0+kc]
			r1 := b[(jb+c+1)*ldb+p0 : (jb+c+1)*ldb+p0+kc]
			r2 := b[(jb+c+2)*ldb+p0 : (jb+c+2)*ldb+p0+kc]
			r3 := b[(jb+c+3)*ldb+p0 : (jb+c+3)*ldb+p0+kc]
			for p := range r0 {
				d := panel[p*nr+c : p*nr+c+4]
				d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
			}
		}
		for ; c < cols; c++ {
			src := b[(jb+c)*ldb+p0 : (jb+c)*ldb+p0+kc]
			for p, v := range src {
				panel[p*nr+c] = v
			}
		}
		for c := cols; c < nr; c++ {
			for p := range kc {
				panel[p*nr+c] = 0
			}
		}
	}
}
