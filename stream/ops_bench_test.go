package stream

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// Called through a variable, so that no loop below can inline it.
var benchDouble = func(x int64) int64 { return x * 2 }

// BenchmarkMapStage measures one Map stage to the same type on a batch of
// 1,024 (b.N counts elements): the unrolled in-place loop of mapSameInlet
// beside the same loop rolled, calling the same function value.
func BenchmarkMapStage(b *testing.B) {
	in := make([]Event[int64], 1024)
	b.Run("unrolled", func(b *testing.B) {
		x := &mapSameInlet[int64]{pass: pass[int64]{&stageMeta{wms: make([]atomic.Int64, 1)}, discard[int64]{}, 0}, f: benchDouble}
		b.ReportAllocs()
		for i := 0; i < b.N; i += len(in) {
			x.batch(in)
		}
	})
	b.Run("plain-loop", func(b *testing.B) {
		f := benchDouble
		b.ReportAllocs()
		for i := 0; i < b.N; i += len(in) {
			for j := range in {
				in[j].Value = f(in[j].Value)
			}
		}
	})
}

// Called through a variable, so that no loop below can inline it.
var benchKeep = func(x int64) bool { return x%3 != 0 }

// BenchmarkFilterStage measures one Filter stage (a third of the elements
// dropped, at random: a pattern the branch predictor cannot learn) on a
// batch of 1,024 (b.N counts elements): the unrolled, branch-free
// compaction of filterInlet beside a rolled loop that compacts with a
// branch, calling the same function value. Both refill the batch first.
func BenchmarkFilterStage(b *testing.B) {
	tmpl := make([]Event[int64], 1024)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range tmpl {
		tmpl[i].Value = r.Int64()
	}
	in := make([]Event[int64], len(tmpl))
	b.Run("unrolled", func(b *testing.B) {
		x := &filterInlet[int64]{pass: pass[int64]{&stageMeta{wms: make([]atomic.Int64, 1)}, discard[int64]{}, 0}, keep: benchKeep}
		b.ReportAllocs()
		for i := 0; i < b.N; i += len(in) {
			copy(in, tmpl)
			x.batch(in)
		}
	})
	b.Run("plain-loop", func(b *testing.B) {
		keep := benchKeep
		b.ReportAllocs()
		for i := 0; i < b.N; i += len(in) {
			copy(in, tmpl)
			n := 0
			for j := range in {
				if keep(in[j].Value) {
					in[n] = in[j]
					n++
				}
			}
			discard[int64]{}.batch(in[:n])
		}
	})
}
