// Package version says which build of dxtrain is running; checkpoints and model cards
// record it so a result can be traced to the code that produced it.
package version

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
)

// Version is set at link time (-ldflags "-X github.com/dxtrain/dxtrain/internal/version.Version=v1.2.3").
var Version = "dev"

// String is the version plus the VCS revision when the build recorded one.
func String() string {
	settings := buildSettings()
	rev, dirty := settings["vcs.revision"], settings["vcs.modified"] == "true"
	if rev == "" {
		return Version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return Version + "+" + rev
}

// ErrUnknownCode means the running build cannot name the code it was built from.
var ErrUnknownCode = errors.New("this build does not name the code it was built from")

// Check reports whether String names clean, committed code: a build from a modified
// checkout ("-dirty"), or one with neither a release version nor a VCS revision (a
// `go build` outside a repository, a test binary), cannot. A release records String
// either way; Check lets it refuse to sign for code nobody can find again.
func Check() error { return check(Version, buildSettings()) }

func check(v string, settings map[string]string) error {
	switch {
	case strings.HasSuffix(v, "-dirty") || settings["vcs.modified"] == "true":
		return fmt.Errorf("%w: built from a checkout with uncommitted changes", ErrUnknownCode)
	case v == "dev" && settings["vcs.revision"] == "":
		return fmt.Errorf("%w: built with no version and no VCS revision", ErrUnknownCode)
	}
	return nil
}

func buildSettings() map[string]string {
	out := map[string]string{}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			out[s.Key] = s.Value
		}
	}
	return out
}
