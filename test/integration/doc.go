// Package integration holds the Tier 2 tests of DESIGN.md §6: real `dxtrain server`
// and `dxtrain agent` processes of the built binary on loopback, killed, stopped and
// restarted on purpose, checked through the coordinator's Go client. The package has
// no code of its own besides this comment; everything is in _test.go files. The tests
// skip under -short.
package integration
