package sketch

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// zipf returns n keys in [0, distinct) drawn from Zipf(s) (deterministic).
func zipf(seed uint64, n int, s float64, distinct uint64) []uint64 {
	r := rand.New(rand.NewPCG(seed, 11))
	z := rand.NewZipf(r, s, 1, distinct-1)
	out := make([]uint64, n)
	for i := range out {
		out[i] = z.Uint64()
	}
	return out
}

func newCM(t testing.TB, eps, delta float64, keys ...[]uint64) *CountMin {
	c, err := NewCountMin(eps, delta)
	require.NoError(t, err)
	for _, ks := range keys {
		for _, k := range ks {
			c.Add(HashUint64(k), 1)
		}
	}
	return c
}

func TestCountMinBound(t *testing.T) {
	const eps, delta = 0.0005, 0.01
	keys := zipf(1, 1_000_000, 1.1, 100_000)
	exact := map[uint64]uint64{}
	for _, k := range keys {
		exact[k]++
	}
	c := newCM(t, eps, delta, keys)
	bound := eps * float64(c.Total())
	var over int
	for k, n := range exact {
		got := c.Count(HashUint64(k))
		require.GreaterOrEqual(t, got, n, "never underestimates")
		if float64(got-n) > bound {
			over++
		}
	}
	// Also unseen keys (true count 0).
	for k := uint64(1 << 40); k < 1<<40+100_000; k++ {
		if float64(c.Count(HashUint64(k))) > bound {
			over++
		}
	}
	frac := float64(over) / float64(len(exact)+100_000)
	t.Logf("w=%d d=%d bound=%.0f violations=%d (%.5f, allowed %v)", c.Width(), c.Depth(), bound, over, frac, delta)
	require.LessOrEqual(t, frac, delta)
	require.Equal(t, uint64(len(keys)), c.Total())
}

func TestCountMinEdges(t *testing.T) {
	c := newCM(t, 0.01, 0.01)
	require.Equal(t, uint64(0), c.Count(1))
	c.Add(1, 5)
	require.Equal(t, uint64(5), c.Count(1))
	require.InDelta(t, 0.01, c.Epsilon(), 0.0001)
	require.Less(t, c.Delta(), 0.01)
	_, err := NewCountMin(0, 0.1)
	require.ErrorIs(t, err, ErrIncompatible)
	require.ErrorIs(t, c.Merge(newCM(t, 0.1, 0.01)), ErrIncompatible)
	c.Reset()
	require.Equal(t, uint64(0), c.Count(1))
	require.ErrorIs(t, c.UnmarshalBinary([]byte{1, 0}), ErrCorrupt)
}

func FuzzCountMinMerge(f *testing.F) {
	f.Add(uint64(1), uint16(10), uint64(2), uint16(20), uint64(3), uint16(0))
	f.Add(uint64(4), uint16(3000), uint64(5), uint16(100), uint64(6), uint16(2500))
	f.Fuzz(func(t *testing.T, sa uint64, na uint16, sb uint64, nb uint16, sc uint64, nc uint16) {
		ka, kb, kc := zipf(sa, int(na), 1.1, 1000), zipf(sb, int(nb), 1.1, 1000), zipf(sc, int(nc), 1.1, 1000)
		a, b, c := newCM(t, 0.01, 0.01, ka), newCM(t, 0.01, 0.01, kb), newCM(t, 0.01, 0.01, kc)
		union := newCM(t, 0.01, 0.01, ka, kb, kc)
		a0 := a.Clone()
		ab, ba := a.Clone(), b.Clone()
		require.NoError(t, ab.Merge(b))
		require.NoError(t, ba.Merge(a))
		require.True(t, ab.Equal(ba), "commutative")
		abc, bc := ab.Clone(), b.Clone()
		require.NoError(t, abc.Merge(c))
		require.NoError(t, bc.Merge(c))
		require.NoError(t, a.Merge(bc))
		require.True(t, abc.Equal(a), "associative")
		require.True(t, abc.Equal(union), "merge equals union")
		data, err := a0.MarshalBinary()
		require.NoError(t, err)
		var back CountMin
		require.NoError(t, back.UnmarshalBinary(data))
		require.True(t, back.Equal(a0))
	})
}

func FuzzCountMinUnmarshal(f *testing.F) {
	b, _ := newCM(f, 0.2, 0.2, zipf(1, 100, 1.1, 50)).MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var c CountMin
		if c.UnmarshalBinary(data) == nil {
			c.Add(1, 1)
			require.GreaterOrEqual(t, c.Count(1), uint64(1))
		}
	})
}

func BenchmarkCountMin(b *testing.B) {
	c := newCM(b, 0.001, 0.01)
	b.Run("add", func(b *testing.B) {
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			c.Add(i, 1)
		}
	})
	b.Run("count", func(b *testing.B) {
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			c.Count(i)
		}
	})
	b.Run("merge", func(b *testing.B) {
		o := c.Clone()
		b.ReportAllocs()
		for b.Loop() {
			_ = c.Merge(o)
		}
	})
	small := newCM(b, 0.001, 0.01, zipf(1, 100_000, 1.1, 10_000))
	data, _ := small.MarshalBinary()
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 2*len(data))
		for b.Loop() {
			buf, _ = small.AppendBinary(buf[:0])
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		var g CountMin
		for b.Loop() {
			_ = g.UnmarshalBinary(data)
		}
	})
}
