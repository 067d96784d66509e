//go:build !amd64

package main

// peak is unknown off amd64: the timing loops are amd64 assembly.
type peak struct{}

func (peak) perCore() float64 { return 0 }
func (peak) String() string   { return "fp32 peak: not measured on this architecture" }

func measurePeak() peak { return peak{} }
