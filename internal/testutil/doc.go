// Package testutil holds the helpers that tests in several packages need alike — waiting
// on a condition instead of sleeping, building the NumPy .npy members of test datasets, recording what crosses a TCP link —
// so that each exists once instead of as a copy per test file that drifts from the others.
// It is for _test.go files only (scripts/check-imports.sh enforces that) and imports only
// the standard library, so any package's tests can use it without an import cycle.
package testutil
