package sketch

import (
	"cmp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func newTopK[K cmp.Ordered](t testing.TB, capacity int, keys ...[]K) *TopK[K] {
	s, err := NewTopK[K](capacity)
	require.NoError(t, err)
	for _, ks := range keys {
		for _, k := range ks {
			s.Add(k, 1)
		}
	}
	return s
}

func exactTop(counts map[uint64]uint64, k int) []uint64 {
	keys := make([]uint64, 0, len(counts))
	for key := range counts {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b uint64) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return keys[:min(k, len(keys))]
}

func recall(t *testing.T, s *TopK[uint64], counts map[uint64]uint64, k int) float64 {
	got := map[uint64]bool{}
	for _, it := range s.Top(nil, k) {
		got[it.Key] = true
	}
	hit := 0
	for _, key := range exactTop(counts, k) {
		if got[key] {
			hit++
		}
	}
	return float64(hit) / float64(k)
}

// checkBounds verifies the Space-Saving guarantees against exact counts.
func checkBounds(t testing.TB, s *TopK[uint64], counts map[uint64]uint64) {
	bound := s.Total() / uint64(s.Capacity())
	for _, it := range s.Top(nil, 0) {
		require.GreaterOrEqual(t, it.Count, counts[it.Key], "upper bound for %d", it.Key)
		require.LessOrEqual(t, it.Count-it.Err, counts[it.Key], "lower bound for %d", it.Key)
		require.LessOrEqual(t, it.Err, bound)
	}
	for key, n := range counts {
		if n > bound {
			_, ok := s.Estimate(key)
			require.True(t, ok, "key %d with %d > N/capacity must be monitored", key, n)
		}
	}
}

func TestTopKRecallZipf(t *testing.T) {
	keys := zipf(1, 1_000_000, 1.1, 100_000)
	counts := map[uint64]uint64{}
	for _, k := range keys {
		counts[k]++
	}
	s := newTopK(t, 100, keys) // agg.TopK's default capacity for k = 10
	r := recall(t, s, counts, 10)
	t.Logf("recall@10 single=%.2f", r)
	require.GreaterOrEqual(t, r, 0.95)
	checkBounds(t, s, counts)
	// The same data split over 4 summaries and merged.
	parts := make([]*TopK[uint64], 4)
	for i := range parts {
		parts[i] = newTopK(t, 100, keys[i*250_000:(i+1)*250_000])
	}
	for _, p := range parts[1:] {
		require.NoError(t, parts[0].Merge(p))
	}
	r = recall(t, parts[0], counts, 10)
	t.Logf("recall@10 merged=%.2f", r)
	require.GreaterOrEqual(t, r, 0.95)
	checkBounds(t, parts[0], counts)
}

func TestTopKEdges(t *testing.T) {
	s := newTopK[string](t, 2)
	require.Empty(t, s.Top(nil, 5))
	s.Add("a", 0)
	require.Equal(t, 0, s.Len())
	s.Add("a", 3)
	s.Add("b", 1)
	s.Add("c", 1) // evicts b (min), inherits its count as error
	require.Equal(t, []Item[string]{{"a", 3, 0}, {"c", 2, 1}}, s.Top(nil, 0))
	n, ok := s.Estimate("b")
	require.False(t, ok)
	require.Equal(t, uint64(2), n)
	_, err := NewTopK[int](0)
	require.ErrorIs(t, err, ErrIncompatible)
	require.ErrorIs(t, s.Merge(newTopK[string](t, 3, []string{"x"})), ErrIncompatible)
	s.Reset()
	require.Equal(t, 0, s.Len())
	require.ErrorIs(t, s.UnmarshalBinary([]byte{1}), ErrCorrupt)
	// Other key kinds round-trip.
	type name string
	sn := newTopK(t, 3, []name{"x", "y", "x"})
	data, _ := sn.MarshalBinary()
	var back TopK[name]
	require.NoError(t, back.UnmarshalBinary(data))
	require.Equal(t, sn.Top(nil, 0), back.Top(nil, 0))
	sf := newTopK(t, 3, []float64{1.5, -2, 1.5})
	data, _ = sf.MarshalBinary()
	var bf TopK[float64]
	require.NoError(t, bf.UnmarshalBinary(data))
	require.Equal(t, sf.Top(nil, 0), bf.Top(nil, 0))
	si := newTopK(t, 3, []int8{-1, 1, -1})
	data, _ = si.MarshalBinary()
	var bi TopK[int8]
	require.NoError(t, bi.UnmarshalBinary(data))
	require.Equal(t, si.Top(nil, 0), bi.Top(nil, 0))
}

func FuzzTopKMerge(f *testing.F) {
	f.Add(uint64(1), uint16(10), uint64(2), uint16(20), uint64(3), uint16(0), uint8(5))
	f.Add(uint64(4), uint16(3000), uint64(5), uint16(100), uint64(6), uint16(2500), uint8(20))
	f.Add(uint64(7), uint16(30), uint64(8), uint16(40), uint64(9), uint16(50), uint8(200))
	f.Fuzz(func(t *testing.T, sa uint64, na uint16, sb uint64, nb uint16, sc uint64, nc uint16, capacity uint8) {
		c := 1 + int(capacity)
		ka, kb, kc := zipf(sa, int(na), 1.1, 500), zipf(sb, int(nb), 1.1, 500), zipf(sc, int(nc), 1.1, 500)
		a, b, cc := newTopK(t, c, ka), newTopK(t, c, kb), newTopK(t, c, kc)
		counts := map[uint64]uint64{}
		for _, ks := range [][]uint64{ka, kb, kc} {
			for _, k := range ks {
				counts[k]++
			}
		}
		a0 := a.Top(nil, 0)
		ab, ba := a.Clone(), b.Clone()
		require.NoError(t, ab.Merge(b))
		require.NoError(t, ba.Merge(a))
		require.Equal(t, ab.Top(nil, 0), ba.Top(nil, 0), "commutative")
		require.Equal(t, a0, a.Top(nil, 0), "a unchanged")
		abc, bc, a2 := ab.Clone(), b.Clone(), a.Clone()
		require.NoError(t, abc.Merge(cc))
		require.NoError(t, bc.Merge(cc))
		require.NoError(t, a2.Merge(bc))
		// Associative up to the bounds (exactly while nothing is truncated).
		checkBounds(t, abc, counts)
		checkBounds(t, a2, counts)
		if len(counts) <= c {
			require.Equal(t, abc.Top(nil, 0), a2.Top(nil, 0), "associative")
			union := newTopK(t, c, ka, kb, kc)
			require.Equal(t, union.Top(nil, 0), abc.Top(nil, 0), "merge equals union")
		}
		data, err := abc.MarshalBinary()
		require.NoError(t, err)
		var back TopK[uint64]
		require.NoError(t, back.UnmarshalBinary(data))
		require.Equal(t, abc.Top(nil, 0), back.Top(nil, 0))
		require.Equal(t, abc.Total(), back.Total())
	})
}

func FuzzTopKUnmarshal(f *testing.F) {
	b, _ := newTopK(f, 5, []string{"a", "b", "a", "c"}).MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s TopK[string]
		if s.UnmarshalBinary(data) == nil {
			s.Add("z", 1)
			s.Top(nil, 3)
		}
	})
}

func BenchmarkTopK(b *testing.B) {
	keys := zipf(1, 1<<16, 1.1, 100_000)
	b.Run("add", func(b *testing.B) {
		s := newTopK(b, 100, keys)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.Add(keys[i&(1<<16-1)], 1)
			i++
		}
	})
	s := newTopK(b, 100, keys)
	b.Run("merge", func(b *testing.B) {
		o := newTopK(b, 100, zipf(2, 1<<16, 1.1, 100_000))
		b.ReportAllocs()
		for b.Loop() {
			_ = s.Merge(o)
		}
	})
	b.Run("top10", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]Item[uint64], 0, 100)
		for b.Loop() {
			buf = s.Top(buf[:0], 10)
		}
	})
	data, _ := s.MarshalBinary()
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 2*len(data))
		for b.Loop() {
			buf, _ = s.AppendBinary(buf[:0])
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		var g TopK[uint64]
		for b.Loop() {
			_ = g.UnmarshalBinary(data)
		}
	})
}
