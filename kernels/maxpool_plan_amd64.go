//go:build amd64 && !purego

package kernels

// poolPlan is how the AVX-512 pooling and unpooling walk a plane of h×w inputs and
// oh×ow windows: groups of g output rows, each group full unmasked blocks of 16 windows
// then one masked block. Rows of up to 8 windows go two to a block, g = 2: on the CNN's
// 7-window rows a block per row left more than half its lanes idle. (w ≤ 16 rather than
// ow ≤ 8: a dx row, its odd column included, must fit one 16-lane store.) With g = 2 and
// an odd oh, the last row is a block of its own (the last* masks). The assembly reads the
// fields by name (go_asm.h).
type poolPlan struct {
	// The masked block's lanes: lane holds each window's top-left index relative to the
	// group's first input row; perm0 and perm1 are the forward's permutations of the
	// block's two loaded vectors to each window's left and right elements, and the
	// backward's interleaving of the left and right gradients into the block's two halves.
	lane, perm0, perm1 [16]int32
	groups, full, odd  int // groups per plane, full blocks per group, 1 for a last single row
	rowStep            int // input elements per group
	planeSkip          int // input elements from the end of a plane's groups to the next plane
	w                  int
	second             int // byte offset of the masked block's second vector: 64, or 2 rows down
	tailBytes          int // bytes of the masked block's outputs
	lastBytes          int // the same for a last single row
	out, lastOut       int // the masked block's windows
	in0, in1, lastIn1  int // the forward's input lanes of the block's two vectors
	st0, st1, lastSt1  int // the backward's dx lanes of the block's two halves, a trailing odd column's zero included
	keepAll            int // 0xffff: no ReLU
}

// newPoolPlan returns the plan of the forward or the backward for h×w planes; a value, kept
// on the caller's stack.
func newPoolPlan(h, w int, backward bool) (pl poolPlan) {
	oh, ow := h/2, w/2
	pl.w = w
	if w <= 16 {
		pl.groups, pl.odd = oh/2, oh%2
		pl.rowStep, pl.second = 4*w, 8*w
		pl.tailBytes, pl.lastBytes = 8*ow, 4*ow
		pl.out, pl.lastOut = 1<<(2*ow)-1, 1<<ow-1
		pl.in0, pl.in1 = 1<<(2*ow)-1, 1<<(2*ow)-1
		pl.st0, pl.st1 = 1<<(2*ow+w%2)-1, 1<<(2*ow+w%2)-1
		for j := range 2 * ow {
			second := j / ow // 0: the group's first row, 1: its second
			k := j - second*ow
			pl.lane[j] = int32(2*k + second*2*w)
			if backward {
				// Lanes 2k and 2k+1 of the first half take window k's left and right
				// gradients (entries k and 16+k of the vector pair); the second half's
				// the same from window ow on.
				pl.perm0[j] = int32(j/2 + j%2*16)
				pl.perm1[j] = pl.perm0[j] + int32(ow)
			} else {
				pl.perm0[j] = int32(2*k + second*16)
				pl.perm1[j] = pl.perm0[j] + 1
			}
		}
		if backward && w%2 == 1 {
			// The odd column's lane 2·ow takes a lane beyond the block's windows, a zero.
			pl.perm0[2*ow], pl.perm1[2*ow] = int32(2*ow), int32(2*ow)
		}
	} else {
		t := ow % 16
		pl.groups, pl.full = oh, ow/16
		pl.rowStep, pl.second = 2*w, 64
		pl.tailBytes = 4 * t
		pl.out = 1<<t - 1
		in, st := 1<<(2*t)-1, 1<<(2*t+w%2)-1
		pl.in0, pl.in1 = in&0xffff, in>>16
		pl.st0, pl.st1 = st&0xffff, st>>16
		for j := range 16 {
			pl.lane[j] = int32(32*pl.full + 2*j)
			if backward {
				pl.perm0[j] = int32(j/2 + j%2*16)
				pl.perm1[j] = pl.perm0[j] + 8
			} else {
				pl.perm0[j], pl.perm1[j] = int32(2*j), int32(2*j+1)
			}
		}
	}
	pl.planeSkip = h*w - pl.groups*pl.rowStep
	return pl
}
