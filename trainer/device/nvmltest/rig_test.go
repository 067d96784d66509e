package nvmltest_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dxtrain/dxtrain/trainer/device"
	"github.com/dxtrain/dxtrain/trainer/device/nvmltest"
)

// TestRigFaultsReachTheCollector drives the real NVML collector over the rig: each
// injected fault turns the chosen GPU unhealthy with a reason saying why, leaves the
// other GPUs healthy, and Repair plus ResetHealth makes it healthy again.
func TestRigFaultsReachTheCollector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inject func(r *nvmltest.Rig, gpu int)
		reason string
	}{
		{"double-bit ecc", func(r *nvmltest.Rig, gpu int) { r.InjectDoubleBitECC(gpu) }, "double-bit ecc"},
		{"xid 79", func(r *nvmltest.Rig, gpu int) { r.InjectXID(gpu, 79) }, "fatal xid 79"},
		{"over-temperature", func(r *nvmltest.Rig, gpu int) { r.SetTemperature(gpu, 97) }, "critical limit"},
		{"removed", func(r *nvmltest.Rig, gpu int) { r.RemoveGPU(gpu) }, "gpu 3 disappeared"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rig := nvmltest.New()
			cfg := device.DefaultConfig()
			cfg.EventWait = time.Millisecond
			c, err := device.NewNVML(rig.Interface(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			const gpu = 3
			tc.inject(rig, gpu)
			samples, err := c.Sample(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(samples) != rig.GPUs() {
				t.Fatalf("%d samples from a rig of %d GPUs", len(samples), rig.GPUs())
			}
			for i, s := range samples {
				if s.UUID != rig.UUID(i) {
					t.Fatalf("sample %d has UUID %s, rig says %s", i, s.UUID, rig.UUID(i))
				}
				want := device.Healthy
				if i == gpu {
					want = device.Unhealthy
				}
				if s.Health.State != want {
					t.Fatalf("gpu %d: %s %v, want %s", i, s.Health.State, s.Health.Reasons, want)
				}
			}
			if got := strings.Join(samples[gpu].Health.Reasons, "; "); !strings.Contains(got, tc.reason) {
				t.Fatalf("reasons %q do not mention %q", got, tc.reason)
			}
			rig.Repair(gpu)
			if err := c.ResetHealth(rig.UUID(gpu)); err != nil {
				t.Fatal(err)
			}
			samples, err = c.Sample(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if h := samples[gpu].Health; h.State != device.Healthy {
				t.Fatalf("after repair: %s %v", h.State, h.Reasons)
			}
		})
	}
}

// TestRigConcurrentInjection injects faults while a collector samples; run with -race
// it shows the rig is safe to drive from a test while an agent reads it.
func TestRigConcurrentInjection(t *testing.T) {
	t.Parallel()
	rig := nvmltest.New()
	cfg := device.DefaultConfig()
	cfg.EventWait = time.Millisecond
	c, err := device.NewNVML(rig.Interface(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 50 {
			rig.SetTemperature(i%rig.GPUs(), 60+uint32(i%20))
			rig.InjectXID(i%rig.GPUs(), 13) // application-class: reported, not fatal
		}
		rig.InjectDoubleBitECC(5)
	})
	for range 20 {
		if _, err := c.Sample(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	samples, err := c.Sample(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if samples[5].Health.State != device.Unhealthy || samples[5].ECCDoubleBit != 1 {
		t.Fatalf("gpu 5 after a double-bit error: %s, %d double-bit errors", samples[5].Health.State, samples[5].ECCDoubleBit)
	}
}
