package stream

import (
	"sync/atomic"
	"testing"
)

// Called through a variable, so that no loop below can inline it.
var benchDouble = func(x int64) int64 { return x * 2 }

// BenchmarkMapStage measures one Map stage to the same type on a batch of
// 1,024 (b.N counts elements): the unrolled in-place loop of mapSameInlet
// beside the plain loop it replaced, calling the same function value.
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
