package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// A shaped link puts every rank in its own network namespace, as if on its own
// host: each namespace has one veth whose other end is a port of a bridge in a
// "switch" namespace, and the rank's end is shaped by a token bucket (tc tbf) to
// the rate, so every rank sends at most that rate, like a NIC of that class on a
// non-blocking switch. The ranks still share this machine's CPUs, and the
// shaping is not free: on a two-core VM the plaintext ring of 256 MiB on a
// shaped 10 Gbit/s link took about 2.6 times the CPU per all-reduce that it took
// on loopback (perf: timer interrupts with their network softirqs, and
// scheduler wake-ups), so there even plaintext fell short of the line rate and
// the TLS/plain ratio measured a CPU contest as much as the link.
//
// Only the sending side is shaped: in a ring (and in the reference stream) every
// rank receives from one sender, so the senders' limits bound every link, and a
// second bucket on the switch ports only added timer interrupts, which are dear in
// a virtual machine. The bucket holds 1 ms at the rate: with 200 µs buckets the
// plaintext ring of 256 MiB on a 10 Gbit/s link took about 40% more CPU per
// all-reduce on a two-core VM (one A/B run, under load). A full bucket lets one
// millisecond's worth through at once, an advantage worth most to the faster,
// plaintext ring, so it can only lower the TLS/plain ratio.

// linkPort is where every rank listens inside its namespace.
const linkPort = 29500

// netnsTopo is one set of namespaces, torn down by teardown.
type netnsTopo struct {
	rate   string  // as tc reads it, e.g. 10gbit
	bytesS float64 // the rate in bytes per second
	prefix string  // namespace names are prefix-sw and prefix-<rank>
	n      int     // rank namespaces
	mu     sync.Mutex
	made   []string
}

var rateRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)([kmgt]?)bit$`)

// parseRate reads a tc rate in bits per second (10gbit, 25gbit, 800mbit) and
// returns it in bytes per second.
func parseRate(s string) (float64, error) {
	m := rateRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("rate %q: want a number and kbit, mbit, gbit or tbit (e.g. 10gbit)", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("rate %q: not a positive number", s)
	}
	mult := map[string]float64{"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}[m[2]]
	return v * mult / 8, nil
}

// checkNetnsPrereqs refuses the shaped-link mode where it cannot work: it creates
// namespaces and qdiscs, which needs root, and runs ip and tc from iproute2.
func checkNetnsPrereqs() error {
	if os.Geteuid() != 0 {
		return errors.New("--netns creates network namespaces and tc qdiscs, which needs root; run as root or leave out --netns")
	}
	var missing []string
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("--netns needs %s on PATH (Debian: apt-get install iproute2)", strings.Join(missing, " and "))
	}
	return nil
}

// setupNetns builds n rank namespaces behind a bridge, each rank's veth shaped
// to rate. On error it removes what it made.
func setupNetns(rate string, n int) (*netnsTopo, error) {
	bps, err := parseRate(rate)
	if err != nil {
		return nil, err
	}
	t := &netnsTopo{rate: rate, bytesS: bps, prefix: fmt.Sprintf("dxar%d", os.Getpid()), n: n}
	if err := t.build(); err != nil {
		t.teardown()
		return nil, fmt.Errorf("set up %s link: %w", rate, err)
	}
	return t, nil
}

func (t *netnsTopo) sw() string        { return t.prefix + "-sw" }
func (t *netnsTopo) ns(r int) string   { return fmt.Sprintf("%s-%d", t.prefix, r) }
func (t *netnsTopo) ip(r int) string   { return fmt.Sprintf("10.77.0.%d", r+1) }
func (t *netnsTopo) addr(r int) string { return fmt.Sprintf("%s:%d", t.ip(r), linkPort) }

func (t *netnsTopo) build() error {
	if t.n > 250 {
		return fmt.Errorf("%d ranks: at most 250 on a shaped link", t.n)
	}
	if err := t.addNS(t.sw()); err != nil {
		return err
	}
	if err := sh("ip", "-n", t.sw(), "link", "add", "br0", "type", "bridge"); err != nil {
		return err
	}
	if err := sh("ip", "-n", t.sw(), "link", "set", "br0", "up"); err != nil {
		return err
	}
	// Bucket: 1 ms at the rate (and at least two 64 KiB GSO packets, which tbf
	// would otherwise cut up in software); queue: 2 ms at the rate.
	burst := max(int(t.bytesS*1e-3), 128<<10)
	shape := func(ns, dev string) error {
		return sh("tc", "-n", ns, "qdisc", "add", "dev", dev, "root", "tbf",
			"rate", t.rate, "burst", strconv.Itoa(burst), "latency", "2ms")
	}
	for r := range t.n {
		ns, port := t.ns(r), fmt.Sprintf("p%d", r)
		if err := t.addNS(ns); err != nil {
			return err
		}
		steps := [][]string{
			{"ip", "-n", t.sw(), "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns},
			{"ip", "-n", t.sw(), "link", "set", port, "master", "br0"},
			{"ip", "-n", t.sw(), "link", "set", port, "up"},
			{"ip", "-n", ns, "link", "set", "lo", "up"},
			{"ip", "-n", ns, "addr", "add", t.ip(r) + "/24", "dev", "eth0"},
			{"ip", "-n", ns, "link", "set", "eth0", "up"},
		}
		for _, s := range steps {
			if err := sh(s[0], s[1:]...); err != nil {
				return err
			}
		}
		if err := shape(ns, "eth0"); err != nil { // what this rank sends
			return err
		}
	}
	return nil
}

func (t *netnsTopo) addNS(name string) error {
	if err := sh("ip", "netns", "add", name); err != nil {
		return err
	}
	t.mu.Lock()
	t.made = append(t.made, name)
	t.mu.Unlock()
	return nil
}

// teardown deletes the namespaces; their veths, bridge and qdiscs go with them.
func (t *netnsTopo) teardown() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.made) - 1; i >= 0; i-- {
		if err := sh("ip", "netns", "del", t.made[i]); err != nil {
			fmt.Fprintf(os.Stderr, "allreduce bench: remove namespace %s: %v\n", t.made[i], err)
		}
	}
	t.made = nil
}

// nsCommand is argv run in namespace ns (or here when ns is "").
func nsCommand(ns string, argv ...string) []string {
	if ns == "" {
		return argv
	}
	return append([]string{"ip", "netns", "exec", ns}, argv...)
}

func sh(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
