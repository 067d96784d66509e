package channel

import (
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// maxMetricName is the longest metric name (PROTOCOL.md: [A-Za-z0-9_.]{1,64}).
const maxMetricName = 64

func validMetricName(name string) bool {
	if len(name) == 0 || len(name) > maxMetricName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// validateMetrics checks every name and value, reporting the first bad one in name
// order so the same message always gives the same error.
func validateMetrics(metrics map[string]float64) error {
	names := make([]string, 0, len(metrics))
	for name := range metrics {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !validMetricName(name) {
			return fmt.Errorf("%w: metric name %q must match [A-Za-z0-9_.]{1,%d}", ErrBadRequest, name, maxMetricName)
		}
		if v := metrics[name]; math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: metric %s is %v; values must be finite", ErrBadRequest, name, v)
		}
	}
	return nil
}

func validateStep(step *int64) (int64, error) {
	switch {
	case step == nil:
		return 0, fmt.Errorf("%w: no step", ErrBadRequest)
	case *step < 0:
		return 0, fmt.Errorf("%w: step %d is negative", ErrBadRequest, *step)
	}
	return *step, nil
}

// resolveUnder resolves the symlinks of p and of root and returns p's real path when
// it is root or lies under it. field names p in the error. Resolving both sides means
// neither a link inside root pointing out of it, nor a root reached through a link,
// fools the check.
func resolveUnder(field, p, root string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("%w: no %s", ErrBadRequest, field)
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%w: %s %q is not absolute", ErrBadRequest, field, p)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("%s: resolve %s: %w", field, root, err)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("%w: %s %q: %v", ErrBadRequest, field, p, err)
	}
	rel, err := filepath.Rel(realRoot, real)
	if err != nil || !(rel == "." || filepath.IsLocal(rel)) {
		return "", fmt.Errorf("%w: %s %q (really %s) does not lie under %s", ErrBadRequest, field, p, real, root)
	}
	return real, nil
}

// resolveFileUnder is resolveUnder for a path that must be a regular file.
func resolveFileUnder(field, p, root string) (string, error) {
	return resolveKindUnder(field, p, root, "a regular file", fs.FileMode.IsRegular)
}

// resolveDirUnder is resolveUnder for a path that must be a directory.
func resolveDirUnder(field, p, root string) (string, error) {
	return resolveKindUnder(field, p, root, "a directory", fs.FileMode.IsDir)
}

// resolveKindUnder is resolveUnder for a path whose file mode must pass is.
func resolveKindUnder(field, p, root, kind string, is func(fs.FileMode) bool) (string, error) {
	real, err := resolveUnder(field, p, root)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%w: %s %q: %v", ErrBadRequest, field, p, err)
	}
	if !is(fi.Mode()) {
		return "", fmt.Errorf("%w: %s %q is not %s", ErrBadRequest, field, p, kind)
	}
	return real, nil
}
