package sketch

import (
	"encoding/binary"
	"math"
	"reflect"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// Hashing in this package is deterministic: the same value hashes to the same
// 64-bit value in every process, on every architecture and after restarts
// (xxhash64 with seed 0, integers encoded little-endian). Sketches built in
// different processes can therefore be merged and checkpoints restored.

// HashString returns the xxhash64 of s. It is safe for concurrent use.
func HashString(s string) uint64 { return xxhash.Sum64String(s) }

// HashBytes returns the xxhash64 of b; a nil and an empty slice hash alike.
// It is safe for concurrent use.
func HashBytes(b []byte) uint64 { return xxhash.Sum64(b) }

// HashUint64 returns the xxhash64 of the 8 little-endian bytes of x. It is
// safe for concurrent use.
func HashUint64(x uint64) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], x)
	return xxhash.Sum64(b[:])
}

// HashInt64 returns HashUint64(uint64(x)). It is safe for concurrent use.
func HashInt64(x int64) uint64 { return HashUint64(uint64(x)) }

// HashFloat64 returns HashUint64 of the IEEE-754 bits of x, with -0 folded
// into +0 and every NaN folded into one canonical NaN, so values that compare
// equal hash equal (and all NaNs count as one value). It is safe for
// concurrent use.
func HashFloat64(x float64) uint64 {
	switch {
	case x == 0:
		x = 0
	case x != x:
		return HashUint64(0x7ff8000000000001)
	}
	return HashUint64(math.Float64bits(x))
}

// Hasher is implemented by user types that sketches should count: Hash64
// must be deterministic (no per-process seed, no pointers) and equal for
// values the user considers equal. Compose it from the Hash* helpers, e.g.
//
//	func (k UserKey) Hash64() uint64 { return sketch.HashString(k.Tenant) ^ sketch.HashInt64(k.ID)*31 }
type Hasher interface {
	Hash64() uint64
}

// Key is the set of types Hash accepts directly: strings, byte slices, the
// integer kinds, floats and bools, including named types based on them
// (type UserID string). Other types implement Hasher.
type Key interface {
	~string | ~[]byte |
		~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64 | ~bool
}

// Hash returns the deterministic hash of v: HashString for string kinds,
// HashBytes for byte slices, HashInt64 (of the sign-extended value) for
// signed integers, HashUint64 for unsigned ones, HashFloat64 for floats and
// HashUint64(0 or 1) for bools. So Hash(int32(7)) == Hash(int64(7)) ==
// HashInt64(7), and Hash(UserID("a")) == HashString("a"). It does not
// allocate and is safe for concurrent use.
func Hash[V Key](v V) uint64 {
	p := unsafe.Pointer(&v)
	switch reflect.TypeFor[V]().Kind() {
	case reflect.String:
		return xxhash.Sum64String(*(*string)(p))
	case reflect.Slice:
		return xxhash.Sum64(*(*[]byte)(p))
	case reflect.Int8:
		return HashInt64(int64(*(*int8)(p)))
	case reflect.Int16:
		return HashInt64(int64(*(*int16)(p)))
	case reflect.Int32:
		return HashInt64(int64(*(*int32)(p)))
	case reflect.Int, reflect.Int64:
		if unsafe.Sizeof(v) == 4 {
			return HashInt64(int64(*(*int32)(p)))
		}
		return HashInt64(*(*int64)(p))
	case reflect.Uint8:
		return HashUint64(uint64(*(*uint8)(p)))
	case reflect.Uint16:
		return HashUint64(uint64(*(*uint16)(p)))
	case reflect.Uint32:
		return HashUint64(uint64(*(*uint32)(p)))
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		if unsafe.Sizeof(v) == 4 {
			return HashUint64(uint64(*(*uint32)(p)))
		}
		return HashUint64(*(*uint64)(p))
	case reflect.Float32:
		return HashFloat64(float64(*(*float32)(p)))
	case reflect.Float64:
		return HashFloat64(*(*float64)(p))
	case reflect.Bool:
		if *(*bool)(p) {
			return HashUint64(1)
		}
		return HashUint64(0)
	}
	panic("sketch: unreachable kind in Hash")
}

// mix64 is the splitmix64 finalizer: a cheap bijective scrambler used to
// derive a second independent-looking hash from a first one.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
