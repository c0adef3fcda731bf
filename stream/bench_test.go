package stream

import (
	"context"
	"testing"
)

// countSink counts elements and sums values so the work cannot be elided.
type countSink struct {
	n   int
	sum int64
}

func (c *countSink) Write(_ context.Context, b []Event[int64]) error {
	c.n += len(b)
	for i := range b {
		c.sum += b[i].Value
	}
	return nil
}
func (c *countSink) Flush(context.Context) error { return nil }

func benchInput(n int) []int64 {
	in := make([]int64, n)
	for i := range in {
		in[i] = int64(i)
	}
	return in
}

// BenchmarkChain: Slice source of int64 → Map(x*2) → Filter(x%3 != 0) →
// Map(x+1) → counting sink. b.N counts events.
func BenchmarkChain(b *testing.B) {
	in := benchInput(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	p := New()
	s := From(p, SourceFunc[int64](func(ctx context.Context, out *Emitter[int64]) error {
		out.EmitAll(in)
		return nil
	}))
	s = Map(s, func(x int64) int64 { return x * 2 })
	s = Filter(s, func(x int64) bool { return x%3 != 0 })
	s = Map(s, func(x int64) int64 { return x + 1 })
	sink := &countSink{}
	To(s, sink)
	if err := p.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportEvents(b)
	if want := b.N - (b.N+2)/3; sink.n != want {
		b.Fatalf("sink saw %d, want %d", sink.n, want)
	}
}

// BenchmarkChainBaseline is BenchmarkChain's work as a plain loop.
func BenchmarkChainBaseline(b *testing.B) {
	in := benchInput(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	sink := &countSink{}
	for _, x := range in {
		y := x * 2
		if y%3 != 0 {
			sink.n++
			sink.sum += y + 1
		}
	}
	b.StopTimer()
	reportEvents(b)
}

// BenchmarkKeyByExchange: a Slice source keyed by x%1024 across an exchange
// to Parallelism(2) instances of a keyed per-key counter (stream.Process),
// whose totals go to a sink at the end. b.N counts events.
func BenchmarkKeyByExchange(b *testing.B) {
	in := benchInput(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	p := New()
	ks := KeyBy(From(p, sliceSource(in)), func(x int64) int64 { return x & 1023 }, Parallelism(2))
	counts := Process(ks, func(c *KeyedContext[int64, int64, int64], v int64) {
		st := c.State()
		if *st == 0 {
			c.SetEventTimer(MaxTime - 1)
		}
		*st++
	}, func(c *KeyedContext[int64, int64, int64], _ Timer) { c.Emit(*c.State()) })
	sink := &countSink{}
	To(counts, sink)
	if err := p.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportEvents(b)
	if sink.sum != int64(b.N) {
		b.Fatalf("counted %d, want %d", sink.sum, b.N)
	}
}

func reportEvents(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s/1e6, "Mevents/s")
	}
}
