package sketch

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axiomhq/hyperloglog"
	"github.com/stretchr/testify/require"
)

// regsOf returns h's dense registers whatever its representation.
func regsOf(h *HLL) []uint8 {
	h.init()
	if h.regs != nil {
		return h.regs
	}
	return sparseRegs(h.p, h.sparse)
}

func hashes(seed uint64, n int) []uint64 {
	r := rand.New(rand.NewPCG(seed, seed^0x5555))
	out := make([]uint64, n)
	for i := range out {
		out[i] = HashUint64(r.Uint64() % (1 << 40))
	}
	return out
}

func newHLL(t testing.TB, p uint8, hs ...[]uint64) *HLL {
	h, err := NewHLL(p)
	require.NoError(t, err)
	for _, s := range hs {
		for _, x := range s {
			h.Add(x)
		}
	}
	return h
}

func TestHLLAccuracy(t *testing.T) {
	for _, n := range []int{0, 1, 10, 100, 1000, 2000, 3000, 10_000, 100_000, 1_000_000} {
		h := newHLL(t, 0)
		for i := range n {
			h.Add(HashInt64(int64(i)))
		}
		got := float64(h.Estimate())
		rel := 0.0
		if n > 0 {
			rel = math.Abs(got-float64(n)) / float64(n)
		}
		t.Logf("n=%d est=%.0f rel=%.4f sparse=%v", n, got, rel, h.Sparse())
		require.LessOrEqual(t, rel, 0.02, "n=%d est=%.0f", n, got)
		if n == 0 {
			require.Equal(t, 0.0, got)
		}
	}
}

// The dense estimator over the histogram equals the library's estimator.
func TestHLLEstimateMatchesLibrary(t *testing.T) {
	for p := uint8(4); p <= 18; p++ { // every precision, every row of the bias table
		for _, n := range []int{1, 50, 5000, 200_000} {
			h := newHLL(t, p)
			lib, _ := hyperloglog.NewSketch(p, false)
			for i := range n {
				x := HashInt64(int64(i))
				h.Add(x)
				lib.InsertHash(x)
			}
			b, _ := lib.MarshalBinary()
			require.Equal(t, b[8:], regsOf(h), "p=%d n=%d registers", p, n)
			// Force dense for the comparison.
			d := &HLL{p: p, regs: append([]uint8(nil), regsOf(h)...)}
			d.rebuildHist()
			require.InDelta(t, float64(lib.Estimate()), float64(d.Estimate()), 1, "p=%d n=%d", p, n)
		}
	}
}

func TestHLLEdges(t *testing.T) {
	var z HLL // zero value: empty p14
	require.Equal(t, uint64(0), z.Estimate())
	require.NoError(t, z.Merge(nil))
	z.Add(HashString("a"))
	z.Add(HashString("a"))
	require.Equal(t, uint64(1), z.Estimate())
	_, err := NewHLL(3)
	require.ErrorIs(t, err, ErrIncompatible)
	a, b := newHLL(t, 10), newHLL(t, 12, hashes(1, 10))
	require.ErrorIs(t, a.Merge(b), ErrIncompatible)
	var zz HLL
	require.NoError(t, zz.Merge(b))
	require.Equal(t, uint8(12), zz.Precision())
	require.Equal(t, b.Estimate(), zz.Estimate())
	require.ErrorIs(t, z.UnmarshalBinary([]byte{1, 2}), ErrCorrupt)
	// Reset keeps representation and empties.
	big := newHLL(t, 0, hashes(2, 50_000))
	require.False(t, big.Sparse())
	big.Reset()
	require.Equal(t, uint64(0), big.Estimate())
	big.Add(1 << 63)
	require.Equal(t, uint64(1), big.Estimate())
	// Clone is deep.
	c := big.Clone()
	c.Add(HashString("x"))
	require.Equal(t, uint64(1), big.Estimate())
	require.Nil(t, (*HLL)(nil).Clone())
}

func FuzzHLLMerge(f *testing.F) {
	f.Add(uint64(1), uint16(10), uint64(2), uint16(20), uint64(3), uint16(0), uint8(14))
	f.Add(uint64(4), uint16(3000), uint64(5), uint16(100), uint64(6), uint16(2500), uint8(14))
	f.Add(uint64(7), uint16(200), uint64(8), uint16(5000), uint64(9), uint16(7), uint8(10))
	f.Add(uint64(7), uint16(0), uint64(8), uint16(0), uint64(9), uint16(0), uint8(4))
	f.Add(uint64(10), uint16(60000), uint64(11), uint16(100), uint64(12), uint16(9000), uint8(16))
	f.Fuzz(func(t *testing.T, sa uint64, na uint16, sb uint64, nb uint16, sc uint64, nc uint16, p uint8) {
		p = 4 + p%15
		ha, hb, hc := hashes(sa, int(na)), hashes(sb, int(nb)), hashes(sc, int(nc))
		a, b, c := newHLL(t, p, ha), newHLL(t, p, hb), newHLL(t, p, hc)
		union := newHLL(t, p, ha, hb, hc)
		// merge(merge(a, b), c) == sketch of the union; a, b, c unchanged.
		ra, rb := bytes.Clone(regsOf(a)), bytes.Clone(regsOf(b))
		ab := a.Clone()
		require.NoError(t, ab.Merge(b))
		ba := b.Clone()
		require.NoError(t, ba.Merge(a))
		require.Equal(t, regsOf(ab), regsOf(ba), "commutative")
		abc := ab.Clone()
		require.NoError(t, abc.Merge(c))
		bc := b.Clone()
		require.NoError(t, bc.Merge(c))
		a_bc := a.Clone()
		require.NoError(t, a_bc.Merge(bc))
		require.Equal(t, regsOf(abc), regsOf(a_bc), "associative")
		require.Equal(t, regsOf(union), regsOf(abc), "merge equals union")
		require.Equal(t, ra, regsOf(a))
		require.Equal(t, rb, regsOf(b))
		require.InEpsilon(t, float64(union.Estimate())+1, float64(abc.Estimate())+1, 0.02)
		// Round trip.
		for _, h := range []*HLL{a, abc} {
			data, err := h.MarshalBinary()
			require.NoError(t, err)
			var back HLL
			require.NoError(t, back.UnmarshalBinary(data))
			require.Equal(t, regsOf(h), regsOf(&back))
			require.Equal(t, h.Estimate(), back.Estimate())
			// The library reads our encoding too.
			lib := new(hyperloglog.Sketch)
			require.NoError(t, lib.UnmarshalBinary(data))
		}
	})
}

func FuzzHLLUnmarshal(f *testing.F) {
	for _, n := range []int{0, 5, 5000} {
		b, _ := newHLL(f, 0, hashes(1, n)).MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{2, 14, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var h HLL
		if h.UnmarshalBinary(data) == nil {
			h.Estimate()
			h.Add(1)
			_, err := h.MarshalBinary()
			require.NoError(t, err)
		}
	})
}

func BenchmarkHLLAdd(b *testing.B) {
	for _, c := range []struct {
		name string
		pre  int
	}{{"sparse", 100}, {"dense", 100_000}} {
		b.Run(c.name, func(b *testing.B) {
			hs := hashes(1, c.pre)
			b.ReportAllocs()
			for b.Loop() {
				// Re-adding existing hashes keeps the representation fixed.
				h := newHLL(b, 0, hs)
				_ = h
				break
			}
			h := newHLL(b, 0, hs)
			i := 0
			b.ResetTimer()
			for b.Loop() {
				h.Add(hs[i])
				i++
				if i == len(hs) {
					i = 0
				}
			}
		})
	}
	b.Run("distinct", func(b *testing.B) {
		b.ReportAllocs()
		h := newHLL(b, 0)
		var i uint64
		for b.Loop() {
			i++
			h.Add(mix64(i))
		}
	})
}

func BenchmarkHLLEstimate(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
	}{{"sparse", 1000}, {"dense", 100_000}} {
		b.Run(c.name, func(b *testing.B) {
			hs := hashes(1, c.n)
			h := newHLL(b, 0, hs)
			b.ReportAllocs()
			for b.Loop() {
				h.estOK = false // measure the computation, not the cache
				h.Estimate()
			}
		})
	}
	b.Run("sparse-after-add", func(b *testing.B) {
		// A new value before each estimate: the sparse buffer is compacted.
		h := newHLL(b, 0, hashes(1, 1000))
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			h.Add(mix64(i))
			h.Estimate()
			if i%500 == 0 {
				h.Reset()
			}
		}
	})
	b.Run("dense-cached", func(b *testing.B) {
		h := newHLL(b, 0, hashes(1, 100_000))
		b.ReportAllocs()
		for b.Loop() {
			h.Estimate()
		}
	})
	b.Run("axiomhq-dense-baseline", func(b *testing.B) {
		lib := hyperloglog.New14()
		for _, x := range hashes(1, 100_000) {
			lib.InsertHash(x)
		}
		b.ReportAllocs()
		for b.Loop() {
			lib.Estimate()
		}
	})
}

func BenchmarkHLLMerge(b *testing.B) {
	for _, c := range []struct {
		name   string
		na, nb int
	}{{"sparse+sparse", 500, 500}, {"dense+dense", 100_000, 100_000}, {"dense+sparse", 100_000, 500}} {
		b.Run(c.name, func(b *testing.B) {
			x, y := newHLL(b, 0, hashes(1, c.na)), newHLL(b, 0, hashes(2, c.nb))
			b.ReportAllocs()
			for b.Loop() {
				z := x.Clone()
				_ = z.Merge(y)
			}
		})
	}
}

func BenchmarkHLLMarshal(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
	}{{"sparse", 1000}, {"dense", 100_000}} {
		h := newHLL(b, 0, hashes(1, c.n))
		data, _ := h.MarshalBinary()
		b.Run("marshal/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 64<<10)
			for b.Loop() {
				buf, _ = h.AppendBinary(buf[:0])
			}
			b.ReportMetric(float64(len(data)), "bytes")
		})
		b.Run("unmarshal/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			var back HLL
			for b.Loop() {
				_ = back.UnmarshalBinary(data)
			}
		})
	}
}
