//go:build race

package collective

// raceEnabled: the race detector slows every chunk's round trip several times over,
// so liveness deadlines sized for a plain build are raised where a test depends on them.
const raceEnabled = true
