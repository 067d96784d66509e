package collective

import (
	"fmt"
	"testing"
)

// TestRingPlanOrder checks the wavefront walk against a brute-force
// enumeration: every item exactly once, each after the item it depends on,
// and through(t) counting the items of wavefronts 0 … t.
func TestRingPlanOrder(t *testing.T) {
	t.Parallel()
	for _, steps := range []int{2, 4, 6, 8} {
		for _, slices := range []int{0, 1, 2, 3, 7, 20} {
			t.Run(fmt.Sprintf("steps=%d/slices=%d", steps, slices), func(t *testing.T) {
				p := ringPlan{steps: steps, slices: slices, per: 1}
				pos := map[[2]int]int{}
				for wf := range p.wavefronts() {
					first, last := p.stepRange(wf)
					for g := first; g <= last; g++ {
						item := [2]int{wf - g, g}
						if _, dup := pos[item]; dup {
							t.Fatalf("item %v visited twice", item)
						}
						if g > 0 {
							if _, ok := pos[[2]int{wf - g, g - 1}]; !ok {
								t.Fatalf("item %v comes before the item it depends on", item)
							}
						}
						pos[item] = len(pos)
					}
					if got, want := p.through(wf), int64(len(pos)); got != want {
						t.Fatalf("through(%d) = %d, want %d", wf, got, want)
					}
				}
				if len(pos) != steps*slices {
					t.Fatalf("visited %d items, want %d", len(pos), steps*slices)
				}
				if got := p.through(-1); got != 0 {
					t.Fatalf("through(-1) = %d, want 0", got)
				}
			})
		}
	}
}

func TestRingPlanChunks(t *testing.T) {
	t.Parallel()
	seg := make([]float32, 10)
	p := newRingPlan(40, 4, 4) // segments of 10 floats, chunks of 4
	if p.slices != 3 || p.steps != 6 {
		t.Fatalf("plan %+v, want 3 slices and 6 steps", p)
	}
	for l, want := range []int{4, 4, 2, 0} {
		if got := len(p.chunk(seg, l)); got != want {
			t.Errorf("chunk %d: %d floats, want %d", l, got, want)
		}
	}
}
