package device

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dxtrain/dxtrain/trainer/device/nvmltest"
)

func TestMetricsFromMockedGPUs(t *testing.T) {
	t.Parallel()
	r := nvmltest.New()
	c := newCollector(t, r)
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	r.InjectDoubleBitECC(1)
	r.InjectDoubleBitECC(1)
	r.InjectXID(1, 79)
	r.SetTemperature(2, 88)
	samples, err := c.Sample(t.Context())
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	m.Observe(samples[:3])

	want := `
# HELP DCGM_FI_DEV_ECC_DBE_VOL_TOTAL Total number of double-bit volatile ECC errors.
# TYPE DCGM_FI_DEV_ECC_DBE_VOL_TOTAL gauge
DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{UUID="U0",gpu="0",modelName="NVIDIA H100 80GB HBM3"} 0
DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{UUID="U1",gpu="1",modelName="NVIDIA H100 80GB HBM3"} 2
DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{UUID="U2",gpu="2",modelName="NVIDIA H100 80GB HBM3"} 0
# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{UUID="U0",gpu="0",modelName="NVIDIA H100 80GB HBM3"} 40960
DCGM_FI_DEV_FB_USED{UUID="U1",gpu="1",modelName="NVIDIA H100 80GB HBM3"} 40960
DCGM_FI_DEV_FB_USED{UUID="U2",gpu="2",modelName="NVIDIA H100 80GB HBM3"} 40960
# HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).
# TYPE DCGM_FI_DEV_GPU_TEMP gauge
DCGM_FI_DEV_GPU_TEMP{UUID="U0",gpu="0",modelName="NVIDIA H100 80GB HBM3"} 61
DCGM_FI_DEV_GPU_TEMP{UUID="U1",gpu="1",modelName="NVIDIA H100 80GB HBM3"} 61
DCGM_FI_DEV_GPU_TEMP{UUID="U2",gpu="2",modelName="NVIDIA H100 80GB HBM3"} 88
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{UUID="U0",gpu="0",modelName="NVIDIA H100 80GB HBM3"} 93
DCGM_FI_DEV_GPU_UTIL{UUID="U1",gpu="1",modelName="NVIDIA H100 80GB HBM3"} 93
DCGM_FI_DEV_GPU_UTIL{UUID="U2",gpu="2",modelName="NVIDIA H100 80GB HBM3"} 93
# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
DCGM_FI_DEV_POWER_USAGE{UUID="U0",gpu="0",modelName="NVIDIA H100 80GB HBM3"} 512.345
DCGM_FI_DEV_POWER_USAGE{UUID="U1",gpu="1",modelName="NVIDIA H100 80GB HBM3"} 512.345
DCGM_FI_DEV_POWER_USAGE{UUID="U2",gpu="2",modelName="NVIDIA H100 80GB HBM3"} 512.345
# HELP DCGM_FI_DEV_XID_ERRORS Value of the last XID error encountered.
# TYPE DCGM_FI_DEV_XID_ERRORS gauge
DCGM_FI_DEV_XID_ERRORS{UUID="U0",gpu="0",modelName="NVIDIA H100 80GB HBM3"} 0
DCGM_FI_DEV_XID_ERRORS{UUID="U1",gpu="1",modelName="NVIDIA H100 80GB HBM3"} 79
DCGM_FI_DEV_XID_ERRORS{UUID="U2",gpu="2",modelName="NVIDIA H100 80GB HBM3"} 0
# HELP dxtrain_device_health Device health: 0 healthy, 1 degraded, 2 unhealthy.
# TYPE dxtrain_device_health gauge
dxtrain_device_health{UUID="U0",device="0",kind="gpu",modelName="NVIDIA H100 80GB HBM3"} 0
dxtrain_device_health{UUID="U1",device="1",kind="gpu",modelName="NVIDIA H100 80GB HBM3"} 2
dxtrain_device_health{UUID="U2",device="2",kind="gpu",modelName="NVIDIA H100 80GB HBM3"} 1
# HELP dxtrain_device_xid_errors_total XID errors seen by the dxtrain agent, by XID code.
# TYPE dxtrain_device_xid_errors_total counter
dxtrain_device_xid_errors_total{UUID="U1",gpu="1",modelName="NVIDIA H100 80GB HBM3",xid="79"} 1
`
	for i := range 3 {
		want = strings.ReplaceAll(want, `"U`+string(rune('0'+i))+`"`, `"`+r.UUID(i)+`"`)
	}
	names := []string{
		"DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_GPU_UTIL",
		"DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_XID_ERRORS", "dxtrain_device_health", "dxtrain_device_xid_errors_total",
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Errorf("metrics differ:\n%v", err)
	}

	// The next sample carries no XIDs: the last-XID gauge keeps 79 and the counter keeps
	// its count. GPU 2 is no longer observed and disappears from the scrape.
	next, _ := c.Sample(t.Context())
	m.Observe(next[:2])
	if got := testutil.CollectAndCount(m, "DCGM_FI_DEV_GPU_TEMP"); got != 2 {
		t.Errorf("%d temperature series after GPU 2 left, want 2", got)
	}
	keep := `
# HELP DCGM_FI_DEV_XID_ERRORS Value of the last XID error encountered.
# TYPE DCGM_FI_DEV_XID_ERRORS gauge
DCGM_FI_DEV_XID_ERRORS{UUID="U0",gpu="0",modelName="NVIDIA H100 80GB HBM3"} 0
DCGM_FI_DEV_XID_ERRORS{UUID="U1",gpu="1",modelName="NVIDIA H100 80GB HBM3"} 79
`
	keep = strings.ReplaceAll(strings.ReplaceAll(keep, `"U0"`, `"`+r.UUID(0)+`"`), `"U1"`, `"`+r.UUID(1)+`"`)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(keep), "DCGM_FI_DEV_XID_ERRORS"); err != nil {
		t.Errorf("last xid not kept:\n%v", err)
	}
}

func TestMetricsFromCPU(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	m.Observe([]Sample{{
		UUID: "CPU-1", Name: "test cpu", Kind: DeviceCPU, MemoryUsedBytes: 3 << 30, MemoryTotalBytes: 8 << 30,
		LoadAverage1: 1.25, Health: Health{State: Degraded, Reasons: []string{"read load average: gone"}},
	}})
	want := `
# HELP dxtrain_cpu_load1 One-minute load average of a CPU device.
# TYPE dxtrain_cpu_load1 gauge
dxtrain_cpu_load1{UUID="CPU-1",modelName="test cpu"} 1.25
# HELP dxtrain_cpu_memory_used_bytes Memory in use on a CPU device's host (total minus available).
# TYPE dxtrain_cpu_memory_used_bytes gauge
dxtrain_cpu_memory_used_bytes{UUID="CPU-1",modelName="test cpu"} 3.221225472e+09
# HELP dxtrain_device_health Device health: 0 healthy, 1 degraded, 2 unhealthy.
# TYPE dxtrain_device_health gauge
dxtrain_device_health{UUID="CPU-1",device="0",kind="cpu",modelName="test cpu"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"dxtrain_cpu_load1", "dxtrain_cpu_memory_used_bytes", "dxtrain_device_health"); err != nil {
		t.Errorf("metrics differ:\n%v", err)
	}
	if n := testutil.CollectAndCount(m, "DCGM_FI_DEV_GPU_TEMP"); n != 0 {
		t.Errorf("a cpu device exported %d gpu temperature series", n)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering device metrics twice succeeded, want an error")
	}
}
