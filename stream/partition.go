package stream

import "hash/maphash"

// partitionHash returns the hash that spreads keys over a keyed stage's
// instances: maphash.Comparable of the key with the pipeline's per-run
// seed (bits.Mul64 of it picks the instance). A splitmix64 path for integer
// keys was measured at 5.6 against 6.5 ns an element, not worth its unsafe
// code.
func partitionHash[K comparable, T any](seed maphash.Seed, key func(T) K) func(T) uint64 {
	return func(v T) uint64 { return maphash.Comparable(seed, key(v)) }
}
