// Package version says which build of dxtrain is running; checkpoints and model cards
// record it so a result can be traced to the code that produced it.
package version

import "runtime/debug"

// Version is set at link time (-ldflags "-X github.com/dxtrain/dxtrain/internal/version.Version=v1.2.3").
var Version = "dev"

// String is the version plus the VCS revision when the build recorded one.
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
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
