package collective

import (
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

const testSession = "attempt-test-1"

func testConfig(world int) Config {
	cfg := DefaultConfig()
	cfg.World = world
	cfg.Session = testSession
	cfg.Timeout = 5 * time.Second
	cfg.DialTimeout = 5 * time.Second
	return cfg
}

// startWorld joins world ranks over real loopback TCP, each on its own port 0
// listener, and closes them when the test ends. mutate may adjust each rank's
// config.
func startWorld(t testing.TB, world int, mutate func(rank int, cfg *Config)) []*Comm {
	t.Helper()
	lns := make([]net.Listener, world)
	addrs := make([]string, world)
	for r := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		lns[r], addrs[r] = ln, ln.Addr().String()
	}
	comms := make([]*Comm, world)
	errs := make([]error, world)
	var wg sync.WaitGroup
	for r := range world {
		cfg := testConfig(world)
		cfg.Rank, cfg.Addrs = r, addrs
		if mutate != nil {
			mutate(r, &cfg)
		}
		wg.Go(func() { comms[r], errs[r] = JoinListener(t.Context(), cfg, lns[r]) })
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range comms {
			if c != nil {
				_ = c.Close()
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("join world of %d: %v", world, err)
	}
	return comms
}

// runAll runs fn on every rank concurrently and returns each rank's error and
// how long its call took.
func runAll(comms []*Comm, fn func(rank int, c *Comm) error) ([]error, []time.Duration) {
	errs := make([]error, len(comms))
	took := make([]time.Duration, len(comms))
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Go(func() {
			start := time.Now()
			errs[r] = fn(r, c)
			took[r] = time.Since(start)
		})
	}
	wg.Wait()
	return errs, took
}

// randomVectors returns world vectors of n floats with mixed magnitudes, so
// that the summation order changes the rounded result.
func randomVectors(world, n int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([][]float32, world)
	for r := range out {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32((rng.Float64() - 0.5) * math.Ldexp(1, rng.IntN(24)-12))
		}
		out[r] = v
	}
	return out
}

// refRingSum is the documented order: every element of segment j is the left
// fold over ranks j+1, j+2, …, j (mod W).
func refRingSum(in [][]float32, n int) []float32 {
	w := len(in)
	out := make([]float32, n)
	for j := range w {
		lo, hi := segBounds(n, w, j)
		for i := lo; i < hi; i++ {
			acc := in[(j+1)%w][i]
			for k := 2; k <= w; k++ {
				acc += in[(j+k)%w][i]
			}
			out[i] = acc
		}
	}
	return out
}

// refRankOrderSum is the naive order x0 + x1 + … used to show the test can
// tell orders apart.
func refRankOrderSum(in [][]float32, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		acc := in[0][i]
		for r := 1; r < len(in); r++ {
			acc += in[r][i]
		}
		out[i] = acc
	}
	return out
}

func copyVectors(in [][]float32) [][]float32 {
	out := make([][]float32, len(in))
	for r, v := range in {
		out[r] = append([]float32(nil), v...)
	}
	return out
}

// firstBitDiff returns the first index where a and b differ in bits, or -1.
func firstBitDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func mathBits(f float32) uint32 { return math.Float32bits(f) }

func isKind(err, kind error) bool { return errors.Is(err, kind) }
