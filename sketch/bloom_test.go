package sketch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func newBloom(t testing.TB, n uint, fp float64, hs ...[]uint64) *Bloom {
	b, err := NewBloom(n, fp)
	require.NoError(t, err)
	for _, s := range hs {
		for _, x := range s {
			b.Add(x)
		}
	}
	return b
}

func TestBloomFalsePositives(t *testing.T) {
	for _, c := range []struct {
		n  uint
		fp float64
	}{{100_000, 0.01}, {100_000, 0.001}, {1_000_000, 0.01}} {
		b := newBloom(t, c.n, c.fp)
		for i := range c.n {
			b.Add(HashInt64(int64(i)))
		}
		for i := range c.n { // no false negatives
			require.True(t, b.Test(HashInt64(int64(i))))
		}
		const probes = 1_000_000
		fps := 0
		for i := range probes {
			if b.Test(HashInt64(int64(c.n) + int64(i))) {
				fps++
			}
		}
		rate := float64(fps) / probes
		t.Logf("n=%d fp=%v observed=%.5f est=%.5f bytes=%d", c.n, c.fp, rate, b.EstimatedFP(), b.Cap()/8)
		require.LessOrEqual(t, rate, 1.5*c.fp)
	}
}

func TestBloomEdges(t *testing.T) {
	_, err := NewBloom(10, 0)
	require.ErrorIs(t, err, ErrIncompatible)
	b := newBloom(t, 0, 0.5)
	require.False(t, b.Test(1))
	require.False(t, b.TestAndAdd(1))
	require.True(t, b.TestAndAdd(1))
	require.ErrorIs(t, b.Merge(newBloom(t, 1000, 0.01)), ErrIncompatible)
	require.NoError(t, b.Merge(nil))
	b.Reset()
	require.False(t, b.Test(1))
	require.ErrorIs(t, b.UnmarshalBinary(nil), ErrCorrupt)
}

func FuzzBloomMerge(f *testing.F) {
	f.Add(uint64(1), uint16(10), uint64(2), uint16(20), uint64(3), uint16(0))
	f.Add(uint64(4), uint16(3000), uint64(5), uint16(100), uint64(6), uint16(2500))
	f.Fuzz(func(t *testing.T, sa uint64, na uint16, sb uint64, nb uint16, sc uint64, nc uint16) {
		ha, hb, hc := hashes(sa, int(na)), hashes(sb, int(nb)), hashes(sc, int(nc))
		a, b, c := newBloom(t, 5000, 0.01, ha), newBloom(t, 5000, 0.01, hb), newBloom(t, 5000, 0.01, hc)
		union := newBloom(t, 5000, 0.01, ha, hb, hc)
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
		var back Bloom
		require.NoError(t, back.UnmarshalBinary(data))
		require.True(t, back.Equal(a0))
	})
}

func FuzzBloomUnmarshal(f *testing.F) {
	b, _ := newBloom(f, 100, 0.01, hashes(1, 50)).MarshalBinary()
	f.Add(b)
	r, _ := NewRotatingBloom(time.Second, 100, 0.01)
	r.TestAndAdd(1, 5)
	rb, _ := r.MarshalBinary()
	f.Add(rb)
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Bloom
		if b.UnmarshalBinary(data) == nil {
			b.Add(1)
			require.True(t, b.Test(1))
		}
		var r RotatingBloom
		if r.UnmarshalBinary(data) == nil {
			r.TestAndAdd(1, 1)
			r.Advance(10)
			_, err := r.MarshalBinary()
			require.NoError(t, err)
		}
	})
}

func TestRotatingBloomSemantics(t *testing.T) {
	const d = int64(80 * time.Second) // span 10 s
	r, err := NewRotatingBloom(time.Duration(d), 1000, 0.001)
	require.NoError(t, err)
	require.False(t, r.TestAndAdd(1, 0))
	require.True(t, r.TestAndAdd(1, d)) // within the horizon
	require.False(t, r.TestAndAdd(2, 5*d))
	require.False(t, r.TestAndAdd(1, 5*d)) // forgotten by event-time rotation
	// Out of order within the ring: added and remembered.
	require.False(t, r.TestAndAdd(3, 5*d-d/2))
	require.True(t, r.TestAndAdd(3, 5*d))
	// Older than the ring: tested, not added.
	require.False(t, r.TestAndAdd(4, 2*d))
	require.False(t, r.TestAndAdd(4, 2*d))
	// Advance drops whole generations older than watermark-d only.
	r.Advance(5*d + d - 1)
	require.True(t, r.Test(2))
	r.Advance(5*d + d + int64(10*time.Second))
	require.False(t, r.Test(2))
	require.True(t, r.Test(1) == false)
	// Negative times work.
	r.Reset()
	require.False(t, r.TestAndAdd(9, -d))
	require.True(t, r.TestAndAdd(9, -1))
	_, err = NewRotatingBloom(0, 10, 0.01)
	require.ErrorIs(t, err, ErrIncompatible)
}

// A hash added at t is remembered while every later time is <= t+d.
func TestRotatingBloomNoFalseNegatives(t *testing.T) {
	const d = int64(time.Minute)
	r, _ := NewRotatingBloom(time.Minute, 100_000, 0.01)
	for i := range int64(100_000) {
		ts := i * int64(time.Millisecond) * 3 // 300 s of events
		h := HashInt64(i)
		r.TestAndAdd(h, ts)
		if i >= 1000 {
			j := i - 1000
			tj := j * int64(time.Millisecond) * 3
			if ts-tj <= d {
				require.True(t, r.Test(HashInt64(j)), "i=%d", i)
			}
		}
		r.Advance(ts - int64(time.Second))
	}
}

func TestRotatingBloomFalsePositives(t *testing.T) {
	const n = 100_000
	const fp = 0.01
	d := time.Minute
	r, _ := NewRotatingBloom(d, n, fp)
	// n distinct per horizon, evenly spread, over 3 horizons.
	step := int64(d) / n
	fps, probes := 0, 0
	for i := range int64(3 * n) {
		ts := i * step
		if r.TestAndAdd(HashInt64(i), ts) {
			fps++
		}
		probes++
		r.Advance(ts)
	}
	rate := float64(fps) / float64(probes)
	t.Logf("observed fp=%.5f configured=%v", rate, fp)
	require.LessOrEqual(t, rate, 1.5*fp)
}

func TestRotatingBloomMergeRoundTrip(t *testing.T) {
	d := time.Minute
	a, _ := NewRotatingBloom(d, 1000, 0.01)
	b, _ := NewRotatingBloom(d, 1000, 0.01)
	for i := range int64(500) {
		a.TestAndAdd(HashInt64(i), i*int64(time.Second)/5)
		b.TestAndAdd(HashInt64(i+1000), i*int64(time.Second)/4)
	}
	ab := a.Clone()
	require.NoError(t, ab.Merge(b))
	ba := b.Clone()
	require.NoError(t, ba.Merge(a))
	for i := range int64(2000) {
		require.Equal(t, ab.Test(HashInt64(i)), ba.Test(HashInt64(i)))
	}
	// b's newest time is 124.75 s: a's elements from 60 s on are still live.
	require.True(t, ab.Test(HashInt64(499)))
	require.True(t, ab.Test(HashInt64(350)))
	require.True(t, ab.Test(HashInt64(1499)))
	data, err := ab.MarshalBinary()
	require.NoError(t, err)
	var back RotatingBloom
	require.NoError(t, back.UnmarshalBinary(data))
	data2, _ := back.MarshalBinary()
	require.Equal(t, data, data2)
	c, _ := NewRotatingBloom(2*d, 1000, 0.01)
	require.ErrorIs(t, c.Merge(a), ErrIncompatible)
}

func BenchmarkBloom(b *testing.B) {
	f := newBloom(b, 1_000_000, 0.01)
	b.Run("add", func(b *testing.B) {
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			f.Add(mix64(i))
		}
	})
	b.Run("test", func(b *testing.B) {
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			f.Test(mix64(i))
		}
	})
	b.Run("merge", func(b *testing.B) {
		g := newBloom(b, 1_000_000, 0.01, hashes(1, 1000))
		b.ReportAllocs()
		for b.Loop() {
			_ = f.Merge(g)
		}
	})
	data, _ := f.MarshalBinary()
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, len(data))
		for b.Loop() {
			buf, _ = f.AppendBinary(buf[:0])
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		var g Bloom
		for b.Loop() {
			_ = g.UnmarshalBinary(data)
		}
	})
}

func BenchmarkRotatingBloom(b *testing.B) {
	r, _ := NewRotatingBloom(time.Minute, 1_000_000, 0.01)
	b.Run("testandadd", func(b *testing.B) {
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			// 1e6 distinct per minute: 60 us of event time per element.
			r.TestAndAdd(mix64(i), int64(i)*60_000)
		}
	})
	b.Run("merge", func(b *testing.B) {
		o := r.Clone()
		b.ReportAllocs()
		for b.Loop() {
			_ = r.Merge(o)
		}
	})
	data, _ := r.MarshalBinary()
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, len(data))
		for b.Loop() {
			buf, _ = r.AppendBinary(buf[:0])
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		var g RotatingBloom
		for b.Loop() {
			_ = g.UnmarshalBinary(data)
		}
	})
}
