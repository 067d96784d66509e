package trainer

import (
	"context"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/trainer/device"
	"github.com/dxtrain/dxtrain/trainer/device/nvmltest"
)

// A fault that strikes while a sample runs, after that sample read the device, must be
// dated no later than the sample's start: the sample vouched for nothing after it.
// Stamping the healthy sample when it returned let checkpoints committed in between
// pass as clean (TestDeviceFaultCordonsAndResumes, rarely).
func TestFaultDuringSampleIsDatedFromTheSampleStart(t *testing.T) {
	rig, coll := mockedGPUs(t)
	h := newHealthReporter(coll, nil)

	// GPU 0 is read first; as the last GPU is read GPU 0 fails, and that read takes 20 ms.
	last := rig.GPUs() - 1
	var injected time.Time
	srv := rig.Server()
	lookup := srv.DeviceGetHandleByIndexFunc
	srv.DeviceGetHandleByIndexFunc = func(i int) (nvml.Device, nvml.Return) {
		if i == last && injected.IsZero() {
			rig.InjectDoubleBitECC(0)
			injected = time.Now()
			time.Sleep(20 * time.Millisecond)
		}
		return lookup(i)
	}

	first := status(t, h, rig.UUID(0))
	if first.Health != structs.DeviceHealthy || injected.IsZero() {
		t.Fatalf("first sample: GPU 0 %s, fault injected: %t; want healthy, injected", first.Health, !injected.IsZero())
	}
	second := status(t, h, rig.UUID(0))
	done := time.Now()
	if second.Health != structs.DeviceUnhealthy {
		t.Fatalf("second sample: GPU 0 %s, want unhealthy", second.Health)
	}
	// The agent dates the fault UnhealthyForMS before it built the status, which is
	// before done: done − UnhealthyForMS is no earlier than that date.
	if dated := done.Add(-time.Duration(second.UnhealthyForMS) * time.Millisecond); dated.After(injected) {
		t.Fatalf("fault dated %s after it was injected; want at or before", dated.Sub(injected))
	}
}

// mockedGPUs returns a mocked DGX H100 (go-nvml's mock, the only stand-in for NVML
// DESIGN.md allows) and a collector reading it, whose event waits are bounded by 1 ms,
// closed when the test ends.
func mockedGPUs(t *testing.T) (*nvmltest.Rig, *device.NVMLCollector) {
	t.Helper()
	rig := nvmltest.New()
	cfg := device.DefaultConfig()
	cfg.EventWait = time.Millisecond
	coll, err := device.NewNVML(rig.Interface(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { coll.Close() })
	return rig, coll
}

func status(t *testing.T, h *healthReporter, uuid string) structs.DeviceStatus {
	t.Helper()
	sts, err := h.statuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.ID == uuid {
			return st
		}
	}
	t.Fatalf("no status for %s", uuid)
	return structs.DeviceStatus{}
}

func TestCeilMilliseconds(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int64
	}{{0, 1}, {-time.Second, 1}, {time.Microsecond, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2}, {1500 * time.Millisecond, 1500}} {
		if got := ceilMilliseconds(c.d); got != c.want {
			t.Errorf("ceilMilliseconds(%s) = %d, want %d", c.d, got, c.want)
		}
	}
}
