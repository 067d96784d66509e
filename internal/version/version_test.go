package version

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		version  string
		settings map[string]string
		known    bool
	}{
		{"v1.2.3", nil, true},
		{"3f2a9c1", map[string]string{"vcs.revision": "3f2a9c1aa", "vcs.modified": "false"}, true},
		{"dev", map[string]string{"vcs.revision": "3f2a9c1aa", "vcs.modified": "false"}, true},
		{"dev", nil, false},           // go build outside a repository, a test binary
		{"3f2a9c1-dirty", nil, false}, // make build in a modified checkout
		{"dev", map[string]string{"vcs.revision": "3f2a", "vcs.modified": "true"}, false}, // go build in one
	} {
		err := check(tc.version, tc.settings)
		if (err == nil) != tc.known || (err != nil && !errors.Is(err, ErrUnknownCode)) {
			t.Errorf("check(%q, %v) = %v, want known %v", tc.version, tc.settings, err, tc.known)
		}
	}
}
