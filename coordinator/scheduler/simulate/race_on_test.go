//go:build race

package simulate

// raceEnabled: under the race detector CPU times mean nothing.
const raceEnabled = true
