package join

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/stream"
)

// The pipeline benchmarks run the workloads of the operator benchmarks
// through a real pipeline: sources -> KeyBy -> join -> counting sink, with
// the runtime's batching, exchanges, watermarks and metrics, on the
// pipeline's default parallelism. b.N counts input events (both sides of a
// two-stream join together; the stream side only for a table join, whose
// table is loaded once per run, inside the timed region).

// pipeSource emits the events i < n with i%2 == side of the interval and
// window workloads (value benchValue(keys, i), time i*step), in time
// order, with ascending watermarks.
func pipeSource(keys []int, n, side int, step int64) stream.Source[int] {
	return stream.SourceFunc[int](func(ctx context.Context, out *stream.Emitter[int]) error {
		for i := side; i < n; i += 2 {
			if i&8191 == side && ctx.Err() != nil {
				return ctx.Err()
			}
			out.EmitNanos(benchValue(keys, i), int64(i)*step)
		}
		return nil
	})
}

// runPipe runs p, which writes to out, and reports per input event.
func runPipe(b *testing.B, p *stream.Pipeline, out *sink.Counter[benchOut]) {
	if err := p.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	report(b, int(out.Count()))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mevents/s")
}

func pipeKey(v int) int { return v >> 32 }

// twoSides returns the keyed left and right inputs of the interval and window
// workloads.
func twoSides(p *stream.Pipeline, keys []int, n int, step int64) (stream.KeyedStream[int, int], stream.KeyedStream[int, int]) {
	wm := stream.Watermarks(stream.Ascending())
	l := stream.From(p, pipeSource(keys, n, 0, step), stream.Name("left"), wm)
	r := stream.From(p, pipeSource(keys, n, 1, step), stream.Name("right"), wm)
	return stream.KeyBy(l, pipeKey), stream.KeyBy(r, pipeKey)
}

// BenchmarkIntervalJoinPipeline is BenchmarkIntervalJoin's workload through a
// pipeline.
func BenchmarkIntervalJoinPipeline(b *testing.B) {
	keys := benchKeys(1<<16, ivKeys)
	b.ReportAllocs()
	b.ResetTimer()
	p := stream.New()
	l, r := twoSides(p, keys, b.N, ivStep)
	out := sink.Discard[benchOut]()
	stream.To(Interval(l, r, ivLower, ivUpper, func(l, r int) benchOut { return benchOut{l, r} }), out)
	runPipe(b, p, out)
}

// BenchmarkWindowJoinPipeline is BenchmarkWindowJoin's workload through a
// pipeline.
func BenchmarkWindowJoinPipeline(b *testing.B) {
	keys := benchKeys(1<<16, wjKeys)
	b.ReportAllocs()
	b.ResetTimer()
	p := stream.New()
	l, r := twoSides(p, keys, b.N, 10)
	out := sink.Discard[benchOut]()
	stream.To(Window(l, r, Tumbling(wjSize), func(l, r int) benchOut { return benchOut{l, r} }), out)
	runPipe(b, p, out)
}

// BenchmarkTableJoinPipeline is BenchmarkTableJoin's workload through a
// pipeline: the changelog (every key upserted at time 0) and b.N stream
// elements from time 1 on; AwaitBootstrap(1ns) makes the first elements wait
// for the table, so that every run sees the whole table (90% hits), and
// lookups happen on arrival after that.
func BenchmarkTableJoinPipeline(b *testing.B) {
	for _, keys := range tjSizes {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			evs, chs := tjInput(keys)
			b.ReportAllocs()
			b.ResetTimer()
			p := stream.New()
			wm := stream.Watermarks(stream.Ascending())
			changes := stream.From(p, stream.SourceFunc[Change[int, int]](func(ctx context.Context, out *stream.Emitter[Change[int, int]]) error {
				for _, c := range chs {
					out.EmitNanos(c.Value, 0)
				}
				return nil
			}), stream.Name("changes"), wm)
			n := b.N
			src := stream.From(p, stream.SourceFunc[tjEvent](func(ctx context.Context, out *stream.Emitter[tjEvent]) error {
				for i := 0; i < n; i++ {
					if i&8191 == 0 && ctx.Err() != nil {
						return ctx.Err()
					}
					out.EmitNanos(evs[i&(len(evs)-1)].Value, int64(i)+1)
				}
				return nil
			}), stream.Name("events"), wm)
			table := Table(changes, AwaitBootstrap(time.Unix(0, 1)))
			out := sink.Discard[benchOut]()
			stream.To(Enrich(stream.KeyBy(src, func(e tjEvent) int { return e.Key }), table,
				func(e tjEvent, campaign int) benchOut { return benchOut{e.Price, campaign} }), out)
			runPipe(b, p, out)
		})
	}
}
