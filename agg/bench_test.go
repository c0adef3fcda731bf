package agg

import (
	"testing"
)

// Benchmarks run b.N events through Add: ns/op and allocs/op read per event.
// BenchmarkAdd/baseline-* is the same work as a hand-written loop, so the cost
// of the abstraction shows as a ratio.

var sinkF float64
var sinkI int64

func benchAdd[A, R any](b *testing.B, a Aggregator[event, A, R]) {
	vs := events(1, 4096)
	acc := a.Init()
	for _, e := range vs { // warm up: grow storage
		a.Add(&acc, e, e.TS)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := &vs[i&4095]
		a.Add(&acc, *e, e.TS)
		i++
	}
}

func BenchmarkAdd(b *testing.B) {
	lat := func(e event) float64 { return e.Latency }
	byt := func(e event) int64 { return e.Bytes }
	user := func(e event) string { return e.User }
	b.Run("baseline-sum", func(b *testing.B) {
		vs := events(1, 4096)
		b.ReportAllocs()
		var s int64
		i := 0
		for b.Loop() {
			s += vs[i&4095].Bytes
			i++
		}
		sinkI = s
	})
	b.Run("baseline-welford", func(b *testing.B) {
		vs := events(1, 4096)
		b.ReportAllocs()
		var m Moments
		i := 0
		for b.Loop() {
			m.add(vs[i&4095].Latency)
			i++
		}
		sinkF = m.m2
	})
	b.Run("count", func(b *testing.B) { benchAdd(b, Count[event]()) })
	b.Run("sum", func(b *testing.B) { benchAdd(b, Sum(byt)) })
	b.Run("min", func(b *testing.B) { benchAdd(b, Min(lat)) })
	b.Run("max", func(b *testing.B) { benchAdd(b, Max(byt)) })
	b.Run("mean", func(b *testing.B) { benchAdd(b, Mean(lat)) })
	b.Run("stddev", func(b *testing.B) { benchAdd(b, StdDev(lat)) })
	b.Run("first", func(b *testing.B) { benchAdd(b, First(user)) })
	b.Run("last", func(b *testing.B) { benchAdd(b, Last(user)) })
	b.Run("distinctexact", func(b *testing.B) { benchAdd(b, DistinctExact(user)) })
	b.Run("distinct", func(b *testing.B) { benchAdd(b, Distinct(byt)) })
	b.Run("percentile", func(b *testing.B) { benchAdd(b, Percentile(lat, 99)) })
	b.Run("topk", func(b *testing.B) { benchAdd(b, TopK(10, user)) })
	b.Run("combine3", func(b *testing.B) {
		benchAdd(b, Combine3(Count[event](), Distinct(user), Percentile(lat, 99),
			func(n int64, u uint64, p float64) float64 { return p }))
	})
}

func benchMerge[A, R any](b *testing.B, a Aggregator[event, A, R]) {
	x, y := fold(a, events(1, 2000), evTS), fold(a, events(2, 2000), evTS)
	b.ReportAllocs()
	for b.Loop() {
		a.Merge(&x, &y)
	}
}

func BenchmarkMerge(b *testing.B) {
	lat := func(e event) float64 { return e.Latency }
	byt := func(e event) int64 { return e.Bytes }
	user := func(e event) string { return e.User }
	b.Run("count", func(b *testing.B) { benchMerge(b, Count[event]()) })
	b.Run("stddev", func(b *testing.B) { benchMerge(b, StdDev(lat)) })
	b.Run("first", func(b *testing.B) { benchMerge(b, First(user)) })
	b.Run("distinctexact", func(b *testing.B) { benchMerge(b, DistinctExact(user)) })
	b.Run("distinct", func(b *testing.B) { benchMerge(b, Distinct(byt)) })
	b.Run("percentile", func(b *testing.B) { benchMerge(b, Percentile(lat, 99)) })
	b.Run("topk", func(b *testing.B) { benchMerge(b, TopK(10, user)) })
}

func BenchmarkResult(b *testing.B) {
	lat := func(e event) float64 { return e.Latency }
	byt := func(e event) int64 { return e.Bytes }
	user := func(e event) string { return e.User }
	b.Run("distinct-dense", func(b *testing.B) {
		a := Distinct(byt)
		acc := fold(a, events(1, 20_000), evTS)
		b.ReportAllocs()
		for b.Loop() {
			a.Add(&acc, event{Bytes: 1 << 40}, 0) // invalidate nothing new: same value
			a.Result(&acc)
		}
	})
	b.Run("percentile", func(b *testing.B) {
		a := Percentile(lat, 99)
		acc := fold(a, events(1, 20_000), evTS)
		b.ReportAllocs()
		for b.Loop() {
			sinkF = a.Result(&acc)
		}
	})
	b.Run("topk", func(b *testing.B) {
		a := TopK(10, user)
		acc := fold(a, events(1, 20_000), evTS)
		b.ReportAllocs()
		for b.Loop() {
			a.Result(&acc)
		}
	})
}

func benchCodec[A, R any](b *testing.B, a Aggregator[event, A, R]) {
	c := any(a).(Codec[A])
	acc := fold(a, events(1, 2000), evTS)
	data, _ := c.AppendAcc(nil, &acc)
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 2*len(data))
		for b.Loop() {
			buf, _ = c.AppendAcc(buf[:0], &acc)
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = c.DecodeAcc(data)
		}
	})
}

func BenchmarkCodec(b *testing.B) {
	lat := func(e event) float64 { return e.Latency }
	user := func(e event) string { return e.User }
	b.Run("stddev", func(b *testing.B) { benchCodec(b, StdDev(lat)) })
	b.Run("distinct", func(b *testing.B) { benchCodec(b, Distinct(user)) })
	b.Run("percentile", func(b *testing.B) { benchCodec(b, Percentile(lat, 99)) })
	b.Run("topk", func(b *testing.B) { benchCodec(b, TopK(10, user)) })
	b.Run("combine3", func(b *testing.B) {
		benchCodec(b, Combine3(Count[event](), Distinct(user), Percentile(lat, 99),
			func(n int64, u uint64, p float64) float64 { return p }))
	})
}
