package stream

import "hash/maphash"

// partitionHash returns the hash that spreads keys over a keyed stage's
// instances: maphash.Comparable of the key with the pipeline's per-run
// seed (bits.Mul64 of it picks the instance). A faster path for integer
// keys would need reflect and unsafe; measured once (the variant is not
// kept), it saved a small part of a keyed exchange's cost, not worth the
// code.
func partitionHash[K comparable, T any](seed maphash.Seed, key func(T) K) func(T) uint64 {
	return func(v T) uint64 { return maphash.Comparable(seed, key(v)) }
}
