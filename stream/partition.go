package stream

import (
	"hash/maphash"
	"reflect"
	"unsafe"
)

// partitionHash returns the hash that spreads keys over a keyed stage's
// instances. Integer and string keys, the common ones, take a fast path:
// maphash.Comparable goes through the runtime's generic map hasher, which
// costs about 12 ns an element here against about 1 ns for a seeded
// splitmix64 finaliser of an integer. Partitions only need a good spread of
// the high bits (bits.Mul64 picks the instance) and a per-run seed.
func partitionHash[K comparable, T any](seed maphash.Seed, key func(T) K) func(T) uint64 {
	s := maphash.Comparable(seed, uint64(0x9e3779b97f4a7c15))
	switch reflect.TypeFor[K]().Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return func(v T) uint64 {
			k := key(v)
			return mix64(*(*uint64)(unsafe.Pointer(&k)) ^ s)
		}
	case reflect.Int32, reflect.Uint32:
		return func(v T) uint64 {
			k := key(v)
			return mix64(uint64(*(*uint32)(unsafe.Pointer(&k))) ^ s)
		}
	case reflect.Int16, reflect.Uint16:
		return func(v T) uint64 {
			k := key(v)
			return mix64(uint64(*(*uint16)(unsafe.Pointer(&k))) ^ s)
		}
	case reflect.Int8, reflect.Uint8, reflect.Bool:
		return func(v T) uint64 {
			k := key(v)
			return mix64(uint64(*(*uint8)(unsafe.Pointer(&k))) ^ s)
		}
	case reflect.String:
		return func(v T) uint64 {
			k := key(v)
			return maphash.String(seed, *(*string)(unsafe.Pointer(&k)))
		}
	}
	return func(v T) uint64 { return maphash.Comparable(seed, key(v)) }
}

// mix64 is the splitmix64 finaliser: every input bit affects every output
// bit, the high ones included.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
