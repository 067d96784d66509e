//go:build !amd64

package peak

// Peak is unknown off amd64: the timing loops are amd64 assembly.
type Peak struct{}

func (Peak) PerCore() float64 { return 0 }
func (Peak) String() string   { return "fp32 peak: not measured on this architecture" }

func Measure() Peak { return Peak{} }

func measure(func()) Peak { return Peak{} }
