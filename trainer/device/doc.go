// Package device reports the accelerators a worker agent can train on and how healthy they are.
//
// A Collector lists the devices (Inventory) and reads their telemetry (Sample). The NVML
// collector reads NVIDIA GPUs through go-nvml; without an NVIDIA driver (the normal case on a
// laptop or in CI) New falls back to the CPU collector, which reports the host's cores, memory
// and load as one device. Every Sample carries a Health verdict (healthy, degraded, unhealthy)
// computed from configurable Thresholds, so the agent can send it with its heartbeat and the
// coordinator can cordon a failing device.
//
// Fatal conditions (a fatal XID, a double-bit ECC error, a row-remap failure, a lost GPU) are
// sticky inside a collector: the device stays unhealthy in every later sample until
// Collector.ResetHealth is called for it. The durable record of a cordon lives in the
// coordinator (it survives agent restarts); the agent calls ResetHealth when the operator
// uncordons the device, so a repaired device is judged afresh on its next sample.
//
// Metrics exports the latest samples to Prometheus under dcgm-exporter's metric names.
package device
