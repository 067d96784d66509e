package device

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/dxtrain/dxtrain/trainer/device/nvmltest"
)

// testConfig is DefaultConfig with a 1 ms event wait, so tests do not idle.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.EventWait = time.Millisecond
	return cfg
}

// newCollector reads the rig through an NVML collector with testConfig, closed when the
// test ends.
func newCollector(t *testing.T, r *nvmltest.Rig) *NVMLCollector {
	t.Helper()
	c, err := NewNVML(r.Interface(), testConfig())
	if err != nil {
		t.Fatalf("NewNVML: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestNVMLInventoryDGXH100(t *testing.T) {
	t.Parallel()
	r := nvmltest.New()
	r.Device(5).MigMode = nvml.DEVICE_MIG_ENABLE
	c := newCollector(t, r)
	if c.Kind() != KindNVML {
		t.Errorf("Kind() = %q, want %q", c.Kind(), KindNVML)
	}
	devs, err := c.Inventory(t.Context())
	if err != nil {
		t.Fatalf("Inventory: %v", err)
	}
	if len(devs) != 8 {
		t.Fatalf("Inventory returned %d devices, want 8", len(devs))
	}
	seen := map[string]bool{}
	for i, d := range devs {
		want := Device{
			Index: i, UUID: r.UUID(i), Name: "NVIDIA H100 80GB HBM3", Kind: DeviceGPU,
			MemoryTotalBytes: 80 << 30, MIGEnabled: i == 5,
		}
		if d != want {
			t.Errorf("device %d = %+v, want %+v", i, d, want)
		}
		if !strings.HasPrefix(d.UUID, "GPU-") || seen[d.UUID] {
			t.Errorf("device %d UUID %q is malformed or repeated", i, d.UUID)
		}
		seen[d.UUID] = true
		if r.Registered(i)&nvml.EventTypeXidCriticalError == 0 {
			t.Errorf("device %d not registered for xid events (mask %#x)", i, r.Registered(i))
		}
	}
}

func TestNVMLSampleNormalReadings(t *testing.T) {
	t.Parallel()
	r := nvmltest.New()
	c := newCollector(t, r)
	samples, err := c.Sample(t.Context())
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	if len(samples) != 8 {
		t.Fatalf("Sample returned %d samples, want 8", len(samples))
	}
	for i, s := range samples {
		want := Sample{
			Index: i, UUID: r.UUID(i), Name: "NVIDIA H100 80GB HBM3", Kind: DeviceGPU,
			UtilizationGPU: 93, UtilizationMemory: 41, MemoryUsedBytes: 40 << 30, MemoryTotalBytes: 80 << 30,
			TemperatureC: 61, PowerWatts: 512.345, SMClockMHz: 1980, MemClockMHz: 2619,
			ThrottleMask: nvml.ClocksThrottleReasonSwPowerCap, ThrottleReasons: []string{ThrottleSWPowerCap},
			ECCSingleBit: 3, Health: Health{State: Healthy},
		}
		if !reflect.DeepEqual(s, want) {
			t.Errorf("sample %d =\n%+v\nwant\n%+v", i, s, want)
		}
	}
	if r.Calls().EventWaits == 0 {
		t.Error("Sample never waited on the xid event set")
	}
}

// TestNVMLFaults injects one fault into GPU 3 of a DGX H100 and checks how every GPU is
// classified: GPU 3 as the fault says, the others as wantOthers (healthy unless the
// fault is node-wide).
func TestNVMLFaults(t *testing.T) {
	t.Parallel()
	const target = 3
	tests := []struct {
		name       string
		inject     func(r *nvmltest.Rig)
		wantState  HealthState
		wantReason string // substring of one of GPU 3's reasons; "" for none
		wantOthers HealthState
		check      func(t *testing.T, s Sample)
	}{
		{
			name:       "double-bit ecc error",
			inject:     func(r *nvmltest.Rig) { r.InjectDoubleBitECC(target); r.InjectDoubleBitECC(target) },
			wantState:  Unhealthy,
			wantReason: "2 double-bit ecc errors",
			check:      func(t *testing.T, s Sample) { wantEq(t, "ECCDoubleBit", s.ECCDoubleBit, uint64(2)) },
		},
		{
			name:       "xid 79 through the event set",
			inject:     func(r *nvmltest.Rig) { r.InjectXID(target, 79) },
			wantState:  Unhealthy,
			wantReason: "fatal xid 79 (gpu has fallen off the bus)",
			check:      func(t *testing.T, s Sample) { wantEq(t, "XIDs", s.XIDs, []uint64{79}) },
		},
		{
			name:      "application xid 13 is reported but does not change health",
			inject:    func(r *nvmltest.Rig) { r.InjectXID(target, 13) },
			wantState: Healthy,
			check:     func(t *testing.T, s Sample) { wantEq(t, "XIDs", s.XIDs, []uint64{13}) },
		},
		{
			name:       "over temperature",
			inject:     func(r *nvmltest.Rig) { r.SetTemperature(target, 88) },
			wantState:  Degraded,
			wantReason: "temperature 88 C at or above the limit of 85 C",
		},
		{
			name:       "critical temperature",
			inject:     func(r *nvmltest.Rig) { r.SetTemperature(target, 97) },
			wantState:  Unhealthy,
			wantReason: "critical limit of 95 C",
		},
		{
			name: "hardware thermal throttling",
			inject: func(r *nvmltest.Rig) {
				r.SetThrottleReasons(target, nvml.ClocksThrottleReasonHwThermalSlowdown|nvml.ClocksThrottleReasonSwPowerCap)
			},
			wantState:  Degraded,
			wantReason: "clocks throttled: [hw_thermal_slowdown]",
		},
		{
			name:       "row remap failure",
			inject:     func(r *nvmltest.Rig) { r.SetRemappedRows(target, 0, 512, false, true) },
			wantState:  Unhealthy,
			wantReason: "row remapping failed",
		},
		{
			name:       "row remap pending",
			inject:     func(r *nvmltest.Rig) { r.SetRemappedRows(target, 0, 1, true, false) },
			wantState:  Degraded,
			wantReason: "row remapping pending",
		},
		{
			name:       "device lost: handle lookup returns gpu is lost",
			inject:     func(r *nvmltest.Rig) { failHandle(r, target, nvml.ERROR_GPU_IS_LOST) },
			wantState:  Unhealthy,
			wantReason: "gpu 3 disappeared: nvml DeviceGetHandleByIndex: ERROR_GPU_IS_LOST",
		},
		{
			name:       "device disappears: handle lookup returns not found",
			inject:     func(r *nvmltest.Rig) { failHandle(r, target, nvml.ERROR_NOT_FOUND) },
			wantState:  Unhealthy,
			wantReason: "gpu 3 disappeared",
		},
		{
			name:       "device falls off mid-read",
			inject:     func(r *nvmltest.Rig) { r.FailCall(target, "GetTemperature", nvml.ERROR_GPU_IS_LOST) },
			wantState:  Unhealthy,
			wantReason: "gpu 3 lost: nvml GetTemperature: ERROR_GPU_IS_LOST",
		},
		{
			name:       "device needs a reset",
			inject:     func(r *nvmltest.Rig) { r.FailCall(target, "GetUtilizationRates", nvml.ERROR_RESET_REQUIRED) },
			wantState:  Unhealthy,
			wantReason: "gpu 3 lost: nvml GetUtilizationRates: ERROR_RESET_REQUIRED",
		},
		{
			name: "another gpu now sits at the index",
			inject: func(r *nvmltest.Rig) {
				r.Device(target).GetUUIDFunc = func() (string, nvml.Return) { return "GPU-replacement", nvml.SUCCESS }
			},
			wantState:  Unhealthy,
			wantReason: "index 3 now holds GPU-replacement",
		},
		{
			name:       "power call fails",
			inject:     func(r *nvmltest.Rig) { r.FailCall(target, "GetPowerUsage", nvml.ERROR_UNKNOWN) },
			wantState:  Degraded,
			wantReason: "gpu 3: nvml GetPowerUsage failed: ERROR_UNKNOWN",
			check:      func(t *testing.T, s Sample) { wantEq(t, "TemperatureC", s.TemperatureC, 61) },
		},
		{
			name:       "remapped rows not permitted",
			inject:     func(r *nvmltest.Rig) { r.FailCall(target, "GetRemappedRows", nvml.ERROR_NO_PERMISSION) },
			wantState:  Degraded,
			wantReason: "nvml GetRemappedRows failed: ERROR_NO_PERMISSION",
		},
		{
			name:      "ecc not supported is ignored",
			inject:    func(r *nvmltest.Rig) { r.FailCall(target, "GetTotalEccErrors", nvml.ERROR_NOT_SUPPORTED) },
			wantState: Healthy,
			check:     func(t *testing.T, s Sample) { wantEq(t, "ECCSingleBit", s.ECCSingleBit, uint64(0)) },
		},
		{
			name:       "event wait fails on the node",
			inject:     func(r *nvmltest.Rig) { r.FailEventWait(nvml.ERROR_UNKNOWN) },
			wantState:  Degraded,
			wantReason: "xid events may be missed: nvml EventSetWait: ERROR_UNKNOWN",
			wantOthers: Degraded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := nvmltest.New()
			c := newCollector(t, r)
			tt.inject(r)
			samples, err := c.Sample(t.Context())
			if err != nil {
				t.Fatalf("Sample: %v", err)
			}
			if len(samples) != 8 {
				t.Fatalf("got %d samples, want 8 (a failing gpu must still be reported)", len(samples))
			}
			s := samples[target]
			if s.Health.State != tt.wantState {
				t.Errorf("gpu %d health = %+v, want %s", target, s.Health, tt.wantState)
			}
			if tt.wantReason == "" && len(s.Health.Reasons) > 0 {
				t.Errorf("gpu %d reasons = %q, want none", target, s.Health.Reasons)
			}
			if tt.wantReason != "" && !slices.ContainsFunc(s.Health.Reasons, func(r string) bool { return strings.Contains(r, tt.wantReason) }) {
				t.Errorf("gpu %d reasons = %q, want one containing %q", target, s.Health.Reasons, tt.wantReason)
			}
			others := tt.wantOthers
			if others == "" {
				others = Healthy
			}
			for i, o := range samples {
				if i != target && o.Health.State != others {
					t.Errorf("gpu %d health = %+v, want %s", i, o.Health, others)
				}
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func wantEq(t *testing.T, field string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", field, got, want)
	}
}

// failHandle makes looking GPU index up by its index answer ret.
func failHandle(r *nvmltest.Rig, index int, ret nvml.Return) {
	srv := r.Server()
	orig := srv.DeviceGetHandleByIndexFunc
	srv.DeviceGetHandleByIndexFunc = func(i int) (nvml.Device, nvml.Return) {
		if i == index {
			return nil, ret
		}
		return orig(i)
	}
}

func TestNVMLDeviceRemovedFromServer(t *testing.T) {
	t.Parallel()
	r := nvmltest.New()
	c := newCollector(t, r)
	r.Server().Devices = r.Server().Devices[:7] // the mock answers index 7 with ERROR_INVALID_ARGUMENT now
	samples, err := c.Sample(t.Context())
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	if got := samples[7].Health; got.State != Unhealthy || !strings.Contains(strings.Join(got.Reasons, ";"), "gpu 7 disappeared") {
		t.Errorf("removed gpu health = %+v, want unhealthy, disappeared", got)
	}
}

func TestNVMLStickyHealth(t *testing.T) {
	t.Parallel()
	r := nvmltest.New()
	c := newCollector(t, r)
	uuid := r.UUID(2)
	sample := func() Sample {
		t.Helper()
		s, err := c.Sample(t.Context())
		if err != nil {
			t.Fatalf("Sample: %v", err)
		}
		return s[2]
	}

	r.InjectXID(2, 79)
	if s := sample(); s.Health.State != Unhealthy {
		t.Fatalf("after xid 79: %+v, want unhealthy", s.Health)
	}
	if s := sample(); s.Health.State != Unhealthy || len(s.XIDs) != 0 {
		t.Fatalf("next sample without events: health %+v, xids %v; want still unhealthy, no new xids", s.Health, s.XIDs)
	}
	if err := c.ResetHealth(uuid); err != nil {
		t.Fatalf("ResetHealth: %v", err)
	}
	if s := sample(); s.Health.State != Healthy {
		t.Fatalf("after ResetHealth: %+v, want healthy", s.Health)
	}

	// A double-bit error that is still counted comes back after a reset; it clears only
	// when the counter does (driver reload).
	r.InjectDoubleBitECC(2)
	sample()
	r.Repair(2) // a reset board: its volatile ECC counts restart at zero
	if s := sample(); s.Health.State != Unhealthy {
		t.Fatalf("double-bit error no longer counted but not reset: %+v, want unhealthy", s.Health)
	}
	if err := c.ResetHealth(uuid); err != nil {
		t.Fatalf("ResetHealth: %v", err)
	}
	if s := sample(); s.Health.State != Healthy {
		t.Fatalf("after second reset: %+v, want healthy", s.Health)
	}

	// Heat is not sticky: a GPU that cools down is healthy without operator action.
	r.SetTemperature(2, 99)
	if s := sample(); s.Health.State != Unhealthy {
		t.Fatalf("at 99 C: %+v, want unhealthy", s.Health)
	}
	r.SetTemperature(2, 60)
	if s := sample(); s.Health.State != Healthy {
		t.Fatalf("cooled to 60 C: %+v, want healthy", s.Health)
	}

	if err := c.ResetHealth("GPU-nope"); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("ResetHealth(unknown) = %v, want ErrUnknownDevice", err)
	}
}

func TestNVMLInitErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ret     nvml.Return
		wantErr error
	}{
		{"library not found", nvml.ERROR_LIBRARY_NOT_FOUND, ErrNoDriver},
		{"driver not loaded", nvml.ERROR_DRIVER_NOT_LOADED, ErrDriverNotLoaded},
		{"no permission", nvml.ERROR_NO_PERMISSION, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := nvmltest.New()
			r.Server().InitFunc = func() nvml.Return { return tt.ret }
			c, err := NewNVML(r.Interface(), testConfig())
			if err == nil {
				c.Close()
				t.Fatal("NewNVML succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && (errors.Is(err, ErrNoDriver) || errors.Is(err, ErrDriverNotLoaded)) {
				t.Errorf("error %v must not look like a missing driver", err)
			}
			if !strings.Contains(err.Error(), tt.ret.Error()) {
				t.Errorf("error %q does not name %s", err, tt.ret)
			}
		})
	}
	t.Run("device count fails", func(t *testing.T) {
		r := nvmltest.New()
		r.Server().DeviceGetCountFunc = func() (int, nvml.Return) { return 0, nvml.ERROR_UNKNOWN }
		if _, err := NewNVML(r.Interface(), testConfig()); err == nil || !strings.Contains(err.Error(), "nvml device count") {
			t.Errorf("error %v, want nvml device count failure", err)
		}
		if n := r.Calls().Shutdowns; n != 1 {
			t.Errorf("nvml shut down %d times, want 1", n)
		}
	})
	t.Run("invalid config", func(t *testing.T) {
		cfg := testConfig()
		cfg.EventWait = 0
		if _, err := NewNVML(nvmltest.New().Interface(), cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("error %v, want ErrInvalidConfig", err)
		}
	})
}

func TestNVMLSetupFaults(t *testing.T) {
	t.Parallel()
	t.Run("gpu that cannot be identified", func(t *testing.T) {
		r := nvmltest.New()
		r.FailCall(2, "GetUUID", nvml.ERROR_UNKNOWN)
		c := newCollector(t, r)
		devs, _ := c.Inventory(t.Context())
		if devs[2].UUID != "GPU-unidentified-2" {
			t.Errorf("unidentified gpu listed as %q", devs[2].UUID)
		}
		samples, _ := c.Sample(t.Context())
		if s := samples[2]; s.Health.State != Unhealthy || !strings.Contains(s.Health.Reasons[0], "gpu 2 could not be identified") {
			t.Errorf("unidentified gpu health %+v, want unhealthy", s.Health)
		}
		if samples[1].Health.State != Healthy {
			t.Errorf("gpu 1 health %+v, want healthy", samples[1].Health)
		}
	})
	t.Run("xid registration fails for one gpu", func(t *testing.T) {
		r := nvmltest.New()
		r.FailCall(1, "RegisterEvents", nvml.ERROR_UNKNOWN)
		c := newCollector(t, r)
		samples, _ := c.Sample(t.Context())
		if s := samples[1]; s.Health.State != Degraded || !strings.Contains(s.Health.Reasons[0], "RegisterEvents for xid events failed") {
			t.Errorf("gpu 1 health %+v, want degraded by RegisterEvents", s.Health)
		}
	})
	t.Run("event sets not supported", func(t *testing.T) {
		r := nvmltest.New()
		r.Server().EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return nil, nvml.ERROR_NOT_SUPPORTED }
		samples, _ := newCollector(t, r).Sample(t.Context())
		for i, s := range samples {
			if s.Health.State != Healthy {
				t.Errorf("gpu %d health %+v, want healthy (not supported is ignored)", i, s.Health)
			}
		}
	})
	t.Run("event set creation fails", func(t *testing.T) {
		r := nvmltest.New()
		r.Server().EventSetCreateFunc = func() (nvml.EventSet, nvml.Return) { return nil, nvml.ERROR_INSUFFICIENT_RESOURCES }
		samples, _ := newCollector(t, r).Sample(t.Context())
		for i, s := range samples {
			if s.Health.State != Degraded || !strings.Contains(s.Health.Reasons[0], "nvml EventSetCreate: ERROR_INSUFFICIENT_RESOURCES") {
				t.Errorf("gpu %d health %+v, want degraded by EventSetCreate", i, s.Health)
			}
		}
	})
}

func TestNVMLThrottleReasonsOnOldDrivers(t *testing.T) {
	t.Parallel()
	r := nvmltest.New()
	r.Server().LookupSymbolFunc = func(string) error { return errors.New("symbol not found") }
	for i := range r.GPUs() {
		r.Device(i).GetCurrentClocksEventReasonsFunc = nil // calling it would panic: old drivers lack it
	}
	r.SetThrottleReasons(0, nvml.ClocksThrottleReasonHwSlowdown)
	samples, err := newCollector(t, r).Sample(t.Context())
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	if got := samples[0].ThrottleReasons; !slices.Equal(got, []string{ThrottleHWSlowdown}) || samples[0].Health.State != Degraded {
		t.Errorf("throttle reasons %v health %+v, want [hw_slowdown], degraded", got, samples[0].Health)
	}
}

func TestNVMLEventDrainIsBounded(t *testing.T) {
	t.Parallel()
	r := nvmltest.New()
	cfg := testConfig()
	cfg.MaxEventsPerSample = 2
	c, err := NewNVML(r.Interface(), cfg)
	if err != nil {
		t.Fatalf("NewNVML: %v", err)
	}
	defer c.Close()
	r.InjectXID(0, 13)
	r.InjectXID(0, 31)
	r.InjectXID(0, 43)
	// An event for a device the set cannot name is skipped, not misattributed.
	r.InjectUnattributableXID(79)
	first, _ := c.Sample(t.Context())
	second, _ := c.Sample(t.Context())
	third, _ := c.Sample(t.Context())
	if !slices.Equal(first[0].XIDs, []uint64{13, 31}) || !slices.Equal(second[0].XIDs, []uint64{43}) {
		t.Errorf("xids per sample %v then %v, want [13 31] then [43]", first[0].XIDs, second[0].XIDs)
	}
	for _, s := range third {
		if s.Health.State != Healthy || len(s.XIDs) != 0 {
			t.Errorf("gpu %d after an unattributable xid: %+v %v, want healthy, no xids", s.Index, s.Health, s.XIDs)
		}
	}
}

func TestNVMLClose(t *testing.T) {
	t.Parallel()
	r := nvmltest.New()
	c, err := NewNVML(r.Interface(), testConfig())
	if err != nil {
		t.Fatalf("NewNVML: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := r.Calls(); n.Shutdowns != 1 || n.EventSetFrees != 1 {
		t.Errorf("shutdowns %d, event set frees %d; want 1 and 1", n.Shutdowns, n.EventSetFrees)
	}
	if _, err := c.Sample(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Sample after Close = %v, want ErrClosed", err)
	}
	if _, err := c.Inventory(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Inventory after Close = %v, want ErrClosed", err)
	}
}
