package device

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseMeminfo reads MemTotal and MemAvailable from the contents of /proc/meminfo and
// returns them in bytes. Both must be present; the kernel reports them in kB.
func parseMeminfo(data []byte) (total, available uint64, err error) {
	var haveTotal, haveAvail bool
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "MemTotal" && key != "MemAvailable") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, 0, fmt.Errorf("meminfo line %d: %w: %s is %q, want \"<number> kB\"", line, ErrProcFormat, key, strings.TrimSpace(rest))
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("meminfo line %d: %w: %s: %v", line, ErrProcFormat, key, err)
		}
		if kb > math.MaxUint64/1024 {
			return 0, 0, fmt.Errorf("meminfo line %d: %w: %s of %d kB overflows", line, ErrProcFormat, key, kb)
		}
		if key == "MemTotal" {
			total, haveTotal = kb*1024, true
		} else {
			available, haveAvail = kb*1024, true
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("meminfo: %w: %v", ErrProcFormat, err)
	}
	if !haveTotal || !haveAvail {
		return 0, 0, fmt.Errorf("meminfo: %w: MemTotal and MemAvailable are both required", ErrProcFormat)
	}
	if available > total {
		return 0, 0, fmt.Errorf("meminfo: %w: MemAvailable %d exceeds MemTotal %d", ErrProcFormat, available, total)
	}
	return total, available, nil
}

// parseLoadavg reads the one-minute load average from the contents of /proc/loadavg
// ("0.52 0.58 0.59 1/389 12345").
func parseLoadavg(data []byte) (float64, error) {
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return 0, fmt.Errorf("loadavg: %w: %d fields, want at least 3", ErrProcFormat, len(fields))
	}
	load, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || math.IsNaN(load) || math.IsInf(load, 0) || load < 0 {
		return 0, fmt.Errorf("loadavg: %w: one-minute load %q is not a non-negative number", ErrProcFormat, fields[0])
	}
	return load, nil
}

// parseCPUModel returns the first "model name" in the contents of /proc/cpuinfo, or ""
// when there is none (some architectures do not report one).
func parseCPUModel(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}
