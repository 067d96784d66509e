package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/experiments"
)

// gang is one submitted experiment and what the simulation knows of it that the
// scheduler does not: how long it really runs.
type gang struct {
	exp     *structs.Experiment
	work    int64 // ns of running it needs in all
	done    int64 // ns of work kept (checkpointed) so far
	arrival int64
	proj    int
	class   int // index into classNames
	devices int // ranks × devices per rank
	limit   int64
	att     *attempt // the running attempt, or nil
	pending bool
	ended   bool
	timeout bool
}

var classNames = []string{"urgent", "normal", "batch"}

// cluster builds the agents: agents nodes of per gpus each, all up and healthy.
func cluster(agents, per int) []*structs.Node {
	nodes := make([]*structs.Node, agents)
	for i := range nodes {
		id := fmt.Sprintf("agent-%04d", i+1)
		n := &structs.Node{ID: id, Address: id + ":7000", Status: structs.NodeStatusUp}
		for d := 0; d < per; d++ {
			n.Devices = append(n.Devices, structs.Device{ID: fmt.Sprintf("gpu%d", d), Kind: "gpu", Health: structs.DeviceHealthy})
		}
		nodes[i] = n
	}
	return nodes
}

// projects builds the projects: weights 1, 2, 3 in turn; guaranteed quotas of 80%
// of the cluster shared by weight; every fourth project may borrow only as much
// again as its quota (more than its fair share, so the limit rarely binds).
func projects(n, capacity int) []*structs.Project {
	out := make([]*structs.Project, n)
	total := 0.0
	for i := range out {
		total += float64(1 + i%3)
	}
	for i := range out {
		w := float64(1 + i%3)
		p := &structs.Project{Name: fmt.Sprintf("proj-%02d", i+1), Weight: w,
			Quota: map[string]int{"gpu": int(0.8 * float64(capacity) * w / total)}}
		if i%4 == 3 {
			p.BorrowLimit = map[string]int{"gpu": p.Quota["gpu"]}
		}
		out[i] = p
	}
	return out
}

// gangs draws the workload: project in proportion to its weight (so every project
// wants about its fair share), class 5% urgent / 70% normal / 25% batch, ranks
// heavy-tailed over 1…maxRanks, devices per rank 1–8, a log-normal running time,
// and a declared time limit at or above it for 85%, below it for 5% (they time
// out), none for 10%. Arrivals are a Poisson process whose rate offers load times
// the cluster's capacity.
func gangs(cfg Config, rng *rand.Rand, projs []*structs.Project, capacity int, start int64) []*gang {
	var cum []float64
	acc := 0.0
	for _, p := range projs {
		acc += p.Weight
		cum = append(cum, acc)
	}
	rankSizes := []int{1, 2, 4, 8, 16, 32, 64}
	rankWeights := []float64{40, 20, 15, 12, 7, 4, 2}
	out := make([]*gang, cfg.Gangs)
	var work float64 // device-ns offered
	for i := range out {
		g := &gang{}
		x := rng.Float64() * acc
		for g.proj = 0; cum[g.proj] < x; g.proj++ {
		}
		switch c := rng.Float64(); {
		case c < 0.05:
			g.class = 0
		case c < 0.75:
			g.class = 1
		default:
			g.class = 2
		}
		ranks := pick(rng, rankSizes, rankWeights)
		for ranks > cfg.MaxRanks {
			ranks /= 2
		}
		var per int
		if ranks == 1 {
			per = pick(rng, []int{1, 2, 4, 8}, []float64{30, 25, 25, 20})
		} else {
			per = pick(rng, []int{1, 2, 4, 8}, []float64{5, 10, 25, 60})
		}
		per = min(per, cfg.DevicesPerAgent)
		// The API refuses a gang its project's limit could never hold.
		for lim := projs[g.proj].Limit("gpu"); lim >= 0 && ranks*per > lim && ranks > 1; {
			ranks /= 2
		}
		minutes := math.Exp(math.Log(45) + rng.NormFloat64())
		minutes = min(max(minutes, 5), 36*60)
		g.work = int64(minutes * float64(time.Minute))
		g.devices = ranks * per
		limit := ""
		switch l := rng.Float64(); {
		case l < 0.85:
			g.limit = roundUp(int64(float64(g.work)*(1.05+0.95*rng.Float64())), int64(5*time.Minute))
		case l < 0.90:
			g.limit = roundUp(int64(float64(g.work)*(0.5+0.45*rng.Float64())), int64(time.Minute))
		}
		if g.limit > 0 {
			limit = fmt.Sprintf("%dm", g.limit/int64(time.Minute))
		}
		id := fmt.Sprintf("exp-%05d", i+1)
		g.exp = &structs.Experiment{ID: id, Name: id, Status: structs.ExperimentPending,
			Spec: experiments.Spec{Name: id, Project: projs[g.proj].Name, Priority: classNames[g.class], TimeLimit: limit,
				Workers: experiments.WorkersSpec{Min: ranks, Max: ranks, Device: "gpu", DevicesPerWorker: per}}}
		work += float64(g.devices) * float64(min(g.work, limitOr(g.limit, g.work)))
		out[i] = g
	}
	meanGap := work / float64(cfg.Gangs) / (cfg.Load * float64(capacity))
	t := start
	for _, g := range out {
		t += int64(rng.ExpFloat64() * meanGap)
		g.arrival = t
	}
	return out
}

func limitOr(limit, other int64) int64 {
	if limit > 0 {
		return limit
	}
	return other
}

func roundUp(v, step int64) int64 { return (v + step - 1) / step * step }

func pick(rng *rand.Rand, values []int, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := rng.Float64() * total
	for i, w := range weights {
		if x < w {
			return values[i]
		}
		x -= w
	}
	return values[len(values)-1]
}
