// Package peak measures this machine's fp32 peak per core (clock × FMA rate × lanes), the
// bound that bench/sgemm and bench/stepprofile state their figures against.
package peak
