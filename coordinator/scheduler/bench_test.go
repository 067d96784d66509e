package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// fullCluster is 1,000 nodes of 8 gpus, nearly all held by 2–8-gpu runs of 20
// projects, and pending experiments of mixed shapes and classes.
func fullCluster(pending int) Input {
	rng := rand.New(rand.NewPCG(7, 7))
	w := newWorld(nil)
	var nodes []*structs.Node
	for i := 0; i < 1000; i++ {
		nodes = append(nodes, gpus(fmt.Sprintf("agent-%04d", i), 8))
	}
	w.in.Nodes = nodes
	projects := make([]string, 20)
	for i := range projects {
		projects[i] = fmt.Sprintf("proj-%02d", i)
		w.project(projects[i], float64(1+i%3), 300, -1)
		w.in.Usage[projects[i]] = map[string]float64{"gpu": float64(rng.IntN(1 << 30))}
	}
	cls := []string{"urgent", "normal", "normal", "batch"}
	limits := []string{"", "30m", "2h", "6h"}
	for i, n := range nodes {
		for first := 0; first < 8; {
			d := []int{2, 4, 8}[rng.IntN(3)]
			if first+d > 8 || (i%50 == 0 && first >= 4) {
				break
			}
			e := job(fmt.Sprintf("run-%d-%d", i, first), projects[rng.IntN(20)], cls[1+rng.IntN(3)], 1, d, time.Hour, limits[rng.IntN(4)])
			a := onNodes("a-"+e.ID, e, time.Duration(rng.IntN(300))*time.Minute, first, n.ID)
			w.running(e, a)
			w.in.LostIfStopped[a.ID] = int64(rng.IntN(1000))
			first += d
		}
	}
	for i := 0; i < pending; i++ {
		w.pending(job(fmt.Sprintf("exp-%05d", i), projects[rng.IntN(20)], cls[rng.IntN(4)],
			[]int{1, 1, 2, 4, 8, 16, 64}[rng.IntN(7)], []int{1, 2, 4, 8}[rng.IntN(4)],
			time.Duration(pending-i)*time.Minute, limits[rng.IntN(4)]))
	}
	return w.in
}

// BenchmarkDecide is one pass over a full 1,000-node cluster with thousands
// pending: the per-pass cost the simulation's placements per second hang on.
func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{300, 3000} {
		in := fullCluster(n)
		b.Run(fmt.Sprintf("pending=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Decide(in)
			}
		})
	}
}
