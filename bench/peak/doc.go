// Package peak measures this machine's fp32 peak per core (clock × FMA rate × lanes), for
// one thread alone (Measure) and for several running at once (Together), the bounds that
// bench/sgemm and bench/throughput state their figures against; and the cache-line round
// trip between two threads (CoreRoundTrip), which says where the host has put them.
package peak
