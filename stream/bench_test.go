package stream_test

import (
	"context"
	"testing"

	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

// countSink counts elements and sums values so the work cannot be elided.
type countSink struct {
	n   int
	sum int64
}

func (c *countSink) Write(_ context.Context, b []stream.Event[int64]) error {
	c.n += len(b)
	sum := c.sum // a local, as in the baseline: c.sum would go through memory
	for i := range b {
		sum += b[i].Value
	}
	c.sum = sum
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

// BenchmarkChain: source.Slice of int64 → Map(x*2) → Filter(x%3 != 0) →
// Map(x+1) → counting sink, all chained in one task. b.N counts events.
func BenchmarkChain(b *testing.B) {
	in := benchInput(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	p := stream.New()
	s := stream.From(p, source.Slice(in))
	s = stream.Map(s, func(x int64) int64 { return x * 2 })
	s = stream.Filter(s, func(x int64) bool { return x%3 != 0 })
	s = stream.Map(s, func(x int64) int64 { return x + 1 })
	sink := &countSink{}
	stream.To(s, sink)
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
	if want := b.N - (b.N+2)/3; sink.n != want {
		b.Fatalf("counted %d, want %d", sink.n, want)
	}
}

// BenchmarkKeyByExchange: a Slice source keyed by x%1024 across an exchange
// to Parallelism(2) instances of a keyed per-key counter (stream.Process),
// whose totals go to a sink at the end. b.N counts events.
func BenchmarkKeyByExchange(b *testing.B) {
	in := benchInput(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	p := stream.New()
	ks := stream.KeyBy(stream.From(p, source.Slice(in)), func(x int64) int64 { return x & 1023 }, stream.Parallelism(2))
	counts := stream.Process(ks, func(c *stream.KeyedContext[int64, int64, int64], v int64) {
		st := c.State()
		if *st == 0 {
			c.SetEventTimer(stream.MaxTime - 1)
		}
		*st++
	}, func(c *stream.KeyedContext[int64, int64, int64], _ stream.Timer) { c.Emit(*c.State()) })
	sink := &countSink{}
	stream.To(counts, sink)
	if err := p.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportEvents(b)
	if sink.sum != int64(b.N) {
		b.Fatalf("counted %d, want %d", sink.sum, b.N)
	}
}

// BenchmarkKeyByExchangeBaseline is BenchmarkKeyByExchange's work as a plain
// loop: one map of per-key counts.
func BenchmarkKeyByExchangeBaseline(b *testing.B) {
	in := benchInput(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	counts := map[int64]int64{}
	for _, x := range in {
		counts[x&1023]++
	}
	b.StopTimer()
	reportEvents(b)
	var sum int64
	for _, c := range counts {
		sum += c
	}
	if sum != int64(b.N) {
		b.Fatal(sum)
	}
}

func reportEvents(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s/1e6, "Mevents/s")
	}
}
