package stream

import (
	"hash/maphash"
	"math"
	"math/bits"
	"testing"
)

type userID int64

// TestPartitionHashSpread: sequential and strided integer keys, small ints,
// and strings spread evenly over 2, 3 and 8 instances, and the hash is a
// function of the key and the seed alone (both inputs of a join agree).
func TestPartitionHashSpread(t *testing.T) {
	seed := maphash.MakeSeed()
	check := func(name string, h func(int) uint64, keys int) {
		t.Helper()
		for _, n := range []uint64{2, 3, 8} {
			counts := make([]int, n)
			for i := range keys {
				p, _ := bits.Mul64(h(i), n)
				counts[p]++
			}
			// The seed is random: allow six standard deviations of a
			// uniform spread (a 10 % band, 3.8 of them over 8 instances,
			// failed about one run in a hundred).
			want := float64(keys) / float64(n)
			tol := 6 * math.Sqrt(want*(1-1/float64(n)))
			for p, c := range counts {
				if d := float64(c) - want; d > tol || d < -tol {
					t.Errorf("%s over %d instances: instance %d has %d keys, want about %.0f", name, n, p, c, want)
				}
			}
		}
	}
	i64 := partitionHash(seed, func(i int) int64 { return int64(i) })
	check("int64", func(i int) uint64 { return i64(i) }, 10000)
	strided := partitionHash(seed, func(i int) userID { return userID(i) << 20 })
	check("strided named int64", func(i int) uint64 { return strided(i) }, 10000)
	u16 := partitionHash(seed, func(i int) uint16 { return uint16(i) })
	check("uint16", func(i int) uint64 { return u16(i) }, 10000)
	str := partitionHash(seed, func(i int) string {
		return "user-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
	})
	check("string", func(i int) uint64 { return str(i) }, 10000)
	type pair struct{ a, b int32 }
	pr := partitionHash(seed, func(i int) pair { return pair{int32(i), int32(i * 7)} })
	check("struct", func(i int) uint64 { return pr(i) }, 10000)

	// a hasher over another element type, with the same key type: its
	// hash must be the same (both inputs of a join partition alike)
	again := partitionHash(seed, func(i int64) int64 { return i })
	for i := range int64(100) {
		if again(i) != i64(int(i)) {
			t.Fatalf("two hashers of one seed disagree on %d", i)
		}
	}
}
