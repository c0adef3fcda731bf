package sketch

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func newQ(t testing.TB, vs ...[]float64) *Quantiles {
	q, err := NewQuantiles(0, 0)
	require.NoError(t, err)
	for _, s := range vs {
		for _, v := range s {
			q.Add(v)
		}
	}
	return q
}

func values(seed uint64, n int, signed bool) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]float64, n)
	for i := range out {
		v := math.Exp(r.NormFloat64()*2 + 3) // lognormal: 5 decades
		if signed && r.IntN(4) == 0 {
			v = -v
		}
		if r.IntN(100) == 0 {
			v = 0
		}
		out[i] = v
	}
	return out
}

func checkQuantiles(t testing.TB, q *Quantiles, vs []float64, qs ...float64) {
	sorted := slices.Clone(vs)
	slices.Sort(sorted)
	alpha := q.RelativeAccuracy()
	for _, qq := range qs {
		// DDSketch answers for rank q(n-1): the element at its floor (positive
		// side) or its ceiling (negative side, mirrored).
		r := qq * float64(len(sorted)-1)
		lo, hi := sorted[int(math.Floor(r))], sorted[int(math.Ceil(r))]
		got := q.Quantile(qq)
		ok := math.Abs(got-lo) <= alpha*math.Abs(lo)+1e-12 || math.Abs(got-hi) <= alpha*math.Abs(hi)+1e-12
		require.True(t, ok, "q=%v got=%v exact in [%v, %v]", qq, got, lo, hi)
	}
}

func TestQuantilesAccuracy(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	for _, signed := range []bool{false, true} {
		vs := values(1, n, signed)
		q := newQ(t, vs)
		checkQuantiles(t, q, vs, 0, 0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1)
		require.Equal(t, float64(n), q.Count())
	}
}

func TestQuantilesEdges(t *testing.T) {
	q := newQ(t)
	require.True(t, math.IsNaN(q.Quantile(0.5)))
	q.Add(math.NaN())
	q.Add(math.Inf(1))
	require.Equal(t, uint64(2), q.Dropped())
	require.Equal(t, 0.0, q.Count())
	q.Add(42)
	require.InEpsilon(t, 42, q.Quantile(0.5), 0.01)
	require.True(t, math.IsNaN(q.Quantile(1.5)))
	q.AddN(1, 0)
	require.Equal(t, 1.0, q.Count())
	q.Reset()
	require.Equal(t, 0.0, q.Count())
	_, err := NewQuantiles(2, 0)
	require.ErrorIs(t, err, ErrIncompatible)
	o, _ := NewQuantiles(0.05, 0)
	require.ErrorIs(t, q.Merge(o), ErrIncompatible)
	require.ErrorIs(t, q.UnmarshalBinary([]byte{1}), ErrCorrupt)
}

// sameF requires a and b equal, NaN equal to NaN.
func sameF(t testing.TB, a, b float64, msg string) {
	t.Helper()
	if !(math.IsNaN(a) && math.IsNaN(b)) {
		require.Equal(t, a, b, msg)
	}
}

func FuzzQuantilesMerge(f *testing.F) {
	f.Add(uint64(1), uint16(10), uint64(2), uint16(20), uint64(3), uint16(0), true)
	f.Add(uint64(4), uint16(3000), uint64(5), uint16(100), uint64(6), uint16(2500), false)
	f.Fuzz(func(t *testing.T, sa uint64, na uint16, sb uint64, nb uint16, sc uint64, nc uint16, signed bool) {
		va, vb, vc := values(sa, int(na), signed), values(sb, int(nb), signed), values(sc, int(nc), signed)
		a, b, c := newQ(t, va), newQ(t, vb), newQ(t, vc)
		union := newQ(t, va, vb, vc)
		ab, ba := a.Clone(), b.Clone()
		require.NoError(t, ab.Merge(b))
		require.NoError(t, ba.Merge(a))
		abc, bc, a2 := ab.Clone(), b.Clone(), a.Clone()
		require.NoError(t, abc.Merge(c))
		require.NoError(t, bc.Merge(c))
		require.NoError(t, a2.Merge(bc))
		qs := []float64{0, 0.1, 0.5, 0.9, 0.99, 0.999, 1}
		for _, qq := range qs {
			sameF(t, ab.Quantile(qq), ba.Quantile(qq), "commutative")
			sameF(t, abc.Quantile(qq), a2.Quantile(qq), "associative")
			sameF(t, union.Quantile(qq), abc.Quantile(qq), "merge equals union")
		}
		require.Equal(t, float64(len(va)), a.Count(), "a unchanged")
		all := append(append(slices.Clone(va), vb...), vc...)
		if len(all) > 0 {
			checkQuantiles(t, abc, all, qs...)
		}
		data, err := abc.MarshalBinary()
		require.NoError(t, err)
		var back Quantiles
		require.NoError(t, back.UnmarshalBinary(data))
		for _, qq := range qs {
			sameF(t, abc.Quantile(qq), back.Quantile(qq), "round trip")
		}
	})
}

func FuzzQuantilesUnmarshal(f *testing.F) {
	b, _ := newQ(f, values(1, 100, true)).MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var q Quantiles
		if q.UnmarshalBinary(data) == nil {
			q.Add(1)
			q.Quantile(0.5)
		}
	})
}

func BenchmarkQuantiles(b *testing.B) {
	vs := values(1, 1<<16, true)
	b.Run("add", func(b *testing.B) {
		q := newQ(b, vs)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			q.Add(vs[i&(1<<16-1)])
			i++
		}
	})
	q := newQ(b, vs)
	b.Run("quantile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			q.Quantile(0.99)
		}
	})
	b.Run("merge", func(b *testing.B) {
		o := newQ(b, values(2, 1000, true))
		b.ReportAllocs()
		for b.Loop() {
			_ = q.Merge(o)
		}
	})
	data, _ := q.MarshalBinary()
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 2*len(data))
		for b.Loop() {
			buf, _ = q.AppendBinary(buf[:0])
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		var g Quantiles
		for b.Loop() {
			_ = g.UnmarshalBinary(data)
		}
	})
}
