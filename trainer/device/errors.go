package device

import "errors"

var (
	// ErrNoDriver means the NVIDIA management library could not be loaded: there is no
	// NVIDIA driver on this host. New answers it by using the CPU collector.
	ErrNoDriver = errors.New("no nvidia driver")
	// ErrDriverNotLoaded means the NVIDIA management library is installed but its kernel
	// driver is not loaded. New also falls back to the CPU collector, but warns: on a GPU
	// node this is a broken install, not a laptop.
	ErrDriverNotLoaded = errors.New("nvidia driver not loaded")
	// ErrUnknownDevice means a UUID names no device this collector reported.
	ErrUnknownDevice = errors.New("unknown device")
	// ErrClosed means the collector was used after Close.
	ErrClosed = errors.New("device collector closed")
	// ErrInvalidConfig means a Config or Thresholds value is out of its allowed range.
	ErrInvalidConfig = errors.New("invalid device config")
	// ErrProcFormat means a /proc file did not have the expected format.
	ErrProcFormat = errors.New("unexpected /proc format")
)
