package device

import (
	"context"
	"errors"
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// New returns the NVML collector when the host has an NVIDIA driver and at least one GPU,
// and the CPU collector otherwise. Falling back is normal (laptops, CI) and is logged once
// at info level; a driver library without its kernel module is logged as a warning,
// because on a GPU node that is a broken install.
func New(ctx context.Context, cfg Config) (Collector, error) {
	return detect(ctx, nvml.New(), cfg)
}

// detect is New with the NVML library injected, so tests can drive both outcomes.
func detect(ctx context.Context, lib nvml.Interface, cfg Config) (Collector, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("detect devices: %w", err)
	}
	log := cfg.logger()
	c, err := NewNVML(lib, cfg)
	switch {
	case err == nil && len(c.devices) > 0:
		log.Info("using nvidia gpus", "gpus", len(c.devices))
		return c, nil
	case err == nil:
		if err := c.Close(); err != nil {
			return nil, fmt.Errorf("detect devices: close gpu-less nvml: %w", err)
		}
		log.Info("nvidia driver found but no gpus; using cpu devices")
	case errors.Is(err, ErrNoDriver):
		log.Info("no nvidia driver found; using cpu devices")
	case errors.Is(err, ErrDriverNotLoaded):
		log.Warn("nvidia library found but its kernel driver is not loaded; using cpu devices", "error", err)
	default:
		return nil, fmt.Errorf("detect devices: %w", err)
	}
	cpu, err := NewCPU(cfg)
	if err != nil {
		return nil, fmt.Errorf("detect devices: %w", err)
	}
	return cpu, nil
}
