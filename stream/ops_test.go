package stream

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// recordInlet keeps copies of the batches it receives.
type recordInlet[T any] struct{ got []Event[T] }

func (r *recordInlet[T]) batch(b []Event[T]) { r.got = append(r.got, b...) }
func (r *recordInlet[T]) watermark(int64)    {}
func (r *recordInlet[T]) idle()              {}
func (r *recordInlet[T]) barrier(barrier)    {}
func (r *recordInlet[T]) end()               {}

// TestMapFilterUnrolled checks the unrolled Map and Filter loops against
// the plain definitions for every batch length up to 40 (all remainders
// mod 8) and random keep patterns, including all-kept and none-kept.
func TestMapFilterUnrolled(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 41 {
		for _, density := range []float64{0, 0.3, 0.5, 0.9, 1} {
			in := make([]Event[int64], n)
			keepSet := map[int64]bool{}
			for i := range in {
				in[i] = Event[int64]{Value: int64(i), Time: int64(1000 + i)}
				keepSet[int64(i)*3] = r.Float64() < density
			}
			meta := &stageMeta{name: "t", wms: make([]atomic.Int64, 1)}
			rec := &recordInlet[int64]{}
			f := &filterInlet[int64]{pass: pass[int64]{meta, rec, 0}, keep: func(v int64) bool { return keepSet[v] }, buf: make([]Event[int64], 4)}
			m := &mapInlet[int64, int64]{pass: pass[int64]{meta, f, 0}, f: func(v int64) int64 { return v * 3 }, buf: make([]Event[int64], 4)}
			m.batch(in)
			var want []Event[int64]
			for _, e := range in {
				if keepSet[e.Value*3] {
					want = append(want, Event[int64]{Value: e.Value * 3, Time: e.Time})
				}
			}
			if !slices.Equal(rec.got, want) {
				t.Fatalf("n=%d density=%v: got %v, want %v", n, density, rec.got, want)
			}
			if d := meta.dropped.Load(); d != uint64(n-len(want)) {
				t.Fatalf("n=%d: dropped %d, want %d", n, d, n-len(want))
			}
		}
	}
}
