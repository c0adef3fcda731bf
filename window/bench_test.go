package window

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/stream"
)

// The benchmark workload: 10,000 keys, one event every 100µs of event time
// (10,000 events/s: each key about once a second), in time order except for
// up to 5ms of disorder, watermarks bounded by that disorder. b.N counts
// events; allocs/op reads as allocations per event.
const (
	benchKeys     = 10_000
	benchStep     = int64(100 * time.Microsecond)
	benchDisorder = 5 * time.Millisecond
	benchM        = 1 << 20 // pre-generated events, repeated shifted in time
)

type bev struct {
	Key  uint64
	User uint32
}

var (
	benchOnce   sync.Once
	benchEvents []stream.Event[bev] // uniform keys
	benchFew    []stream.Event[bev] // benchEvents over 100 keys
	benchRotate []stream.Event[bev] // 1,000 of the 10,000 keys active per minute: sessions end
)

func benchData() {
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		benchEvents = make([]stream.Event[bev], benchM)
		benchRotate = make([]stream.Event[bev], benchM)
		benchFew = make([]stream.Event[bev], benchM)
		for i := range benchEvents {
			ts := int64(i)*benchStep - r.Int64N(int64(benchDisorder))
			benchEvents[i] = stream.Event[bev]{Value: bev{Key: r.Uint64N(benchKeys), User: r.Uint32N(1 << 20)}, Time: ts}
			epoch := uint64(ts / int64(time.Minute))
			benchRotate[i] = stream.Event[bev]{Value: bev{Key: (epoch*1000 + r.Uint64N(1000)) % benchKeys, User: r.Uint32N(1 << 20)}, Time: ts}
			benchFew[i] = benchEvents[i]
			benchFew[i].Value.Key %= 100
		}
	})
}

// benchSource emits n events of evs, shifting each repetition in time.
func benchSource(evs []stream.Event[bev], n int) stream.Source[bev] {
	return stream.SourceFunc[bev](func(ctx context.Context, out *stream.Emitter[bev]) error {
		span := int64(len(evs)) * benchStep
		for i := 0; i < n; i++ {
			if i&4095 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			e := &evs[i%len(evs)]
			out.EmitNanos(e.Value, e.Time+int64(i/len(evs))*span)
		}
		return nil
	})
}

type countSink[T any] struct{ n int }

func (c *countSink[T]) Write(_ context.Context, b []stream.Event[T]) error {
	c.n += len(b)
	return nil
}
func (c *countSink[T]) Flush(context.Context) error { return nil }

func report(b *testing.B, events int) {
	el := b.Elapsed()
	b.ReportMetric(float64(el.Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/el.Seconds(), "events/s")
}

// benchPipeline runs source -> KeyBy -> window.Aggregate -> counting sink
// over b.N events.
func benchPipeline[A, R any](b *testing.B, evs []stream.Event[bev], a Assigner, ag Aggregator[bev, A, R], opts ...Option) {
	benchData()
	b.ReportAllocs()
	b.ResetTimer()
	p := stream.New()
	src := stream.From(p, benchSource(evs, b.N), stream.Watermarks(stream.BoundedOutOfOrderness(benchDisorder)))
	ks := stream.KeyBy(src, func(e bev) uint64 { return e.Key })
	sink := &countSink[Result[uint64, R]]{}
	stream.To(Aggregate(ks, a, ag, opts...), sink)
	if err := p.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	report(b, b.N)
	b.ReportMetric(float64(sink.n)/float64(b.N), "results/event")
}

func BenchmarkTumblingCount(b *testing.B) {
	benchData()
	benchPipeline(b, benchEvents, Tumbling(time.Minute), agg.Count[bev]())
}

// BenchmarkTumblingCountFewKeys is BenchmarkTumblingCount over 100 keys,
// whose state stays in cache, with process looking keys up directly (the
// default below lookAheadKeys) and ahead (forced).
func BenchmarkTumblingCountFewKeys(b *testing.B) {
	benchData()
	b.Run("direct", func(b *testing.B) {
		benchPipeline(b, benchFew, Tumbling(time.Minute), agg.Count[bev]())
	})
	b.Run("ahead", func(b *testing.B) {
		benchPipeline(b, benchFew, Tumbling(time.Minute), agg.Count[bev](), optionFunc(func(c *config) { c.aheadKeys = 1 }))
	})
}

// BenchmarkTumblingCountBaseline is the same work as BenchmarkTumblingCount
// as a hand-written loop: a map per open window, windows fired when the
// watermark (max time - disorder) passes their end, one count per key
// emitted. No pipeline, no generic aggregator.
func BenchmarkTumblingCountBaseline(b *testing.B) {
	benchData()
	b.ReportAllocs()
	b.ResetTimer()
	size := int64(time.Minute)
	windows := map[int64]map[uint64]int64{}
	var free []map[uint64]int64
	var emitted int
	maxTs, wm := int64(stream.MinTime), int64(stream.MinTime)
	span := int64(benchM) * benchStep
	fire := func(upTo int64) {
		for w, m := range windows {
			if w+size-1 <= upTo {
				emitted += len(m)
				clear(m)
				free = append(free, m)
				delete(windows, w)
			}
		}
	}
	for i := 0; i < b.N; i++ {
		e := &benchEvents[i%benchM]
		ts := e.Time + int64(i/benchM)*span
		w := floorDiv(ts, size) * size
		m := windows[w]
		if m == nil {
			if n := len(free); n > 0 {
				m, free = free[n-1], free[:n-1]
			} else {
				m = make(map[uint64]int64, benchKeys)
			}
			windows[w] = m
		}
		m[e.Value.Key]++
		maxTs = max(maxTs, ts)
		if i&511 == 511 { // a watermark per batch, like the pipeline
			if nw := maxTs - int64(benchDisorder) - 1; nw > wm {
				wm = nw
				fire(wm)
			}
		}
	}
	fire(stream.MaxTime)
	b.StopTimer()
	report(b, b.N)
	b.ReportMetric(float64(emitted)/float64(b.N), "results/event")
}

func BenchmarkSlidingCount(b *testing.B) {
	b.Run("10s/1s", func(b *testing.B) {
		benchData()
		benchPipeline(b, benchEvents, Sliding(10*time.Second, time.Second), agg.Count[bev]())
	})
	b.Run("60m/1m", func(b *testing.B) {
		benchData()
		benchPipeline(b, benchEvents, Sliding(time.Hour, time.Minute), agg.Count[bev]())
	})
}

// BenchmarkSlidingMax is BenchmarkSlidingCount with agg.Max, which cannot
// subtract (agg.Subtractor): its sliding windows keep two-stacks partial
// merges instead of one aggregate per key.
func BenchmarkSlidingMax(b *testing.B) {
	user := func(e bev) uint32 { return e.User }
	b.Run("10s/1s", func(b *testing.B) {
		benchData()
		benchPipeline(b, benchEvents, Sliding(10*time.Second, time.Second), agg.Max(user))
	})
	b.Run("60m/1m", func(b *testing.B) {
		benchData()
		benchPipeline(b, benchEvents, Sliding(time.Hour, time.Minute), agg.Max(user))
	})
}

// BenchmarkSessionCount: 1,000 of the 10,000 keys are active in each
// minute (rotating), so sessions (gap 30s) last about a minute and close.
func BenchmarkSessionCount(b *testing.B) {
	benchData()
	benchPipeline(b, benchRotate, Session(30*time.Second), agg.Count[bev]())
}

// BenchmarkTumblingDistinct: an HLL (precision 14) per key per 1-minute
// window, counting distinct users.
func BenchmarkTumblingDistinct(b *testing.B) {
	benchData()
	benchPipeline(b, benchEvents, Tumbling(time.Minute), agg.Distinct(func(e bev) uint32 { return e.User }))
}

// BenchmarkTumblingFire measures the firing of one window holding 10,000
// keys on the engine alone (b.N counts results: ns/op is the cost per
// (key, window) fired, including its purge).
func BenchmarkTumblingFire(b *testing.B) {
	b.Run("count", func(b *testing.B) { benchFire(b, agg.Count[bev]()) })
	b.Run("distinct", func(b *testing.B) { benchFire(b, agg.Distinct(func(e bev) uint32 { return e.User })) })
}

func benchFire[A, R any](b *testing.B, ag Aggregator[bev, A, R]) {
	cfg := config{}
	e, _ := newEngine(Tumbling(time.Minute), core[uint64, bev, A, R]{
		cfg: cfg, keyOf: func(v bev) uint64 { return v.Key }, ag: ag,
		result: func(_ uint64, _, _ int64, acc *A) R { return ag.Result(acc) },
		out:    func(Result[uint64, R], int64) {}, late: func(bev, int64) {}, nLate: func(int) {},
	})
	batch := make([]stream.Event[bev], benchKeys)
	for i := range batch {
		batch[i] = stream.Event[bev]{Value: bev{Key: uint64(i), User: uint32(i)}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	fired := 0
	for w := int64(0); fired < b.N; w++ {
		b.StopTimer()
		base := w * int64(time.Minute)
		for i := range batch {
			batch[i].Time = base + int64(i)
		}
		e.process(batch)
		b.StartTimer()
		e.advance(base + int64(time.Minute) - 1)
		fired += benchKeys
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(fired), "ns/result")
}

// BenchmarkSlidingFire measures the on-time firings of 10s/1s sliding
// windows on the engine alone: each second of event time every one of
// 10,000 keys receives an element and then fires (b.N counts results:
// ns/op is the cost per element and result, firing and purge included).
func BenchmarkSlidingFire(b *testing.B) {
	ag := agg.Count[bev]()
	e, _ := newEngine(Sliding(10*time.Second, time.Second), core[uint64, bev, int64, int64]{
		keyOf: func(v bev) uint64 { return v.Key }, ag: ag,
		out: func(Result[uint64, int64], int64) {}, late: func(bev, int64) {}, nLate: func(int) {},
	})
	batch := make([]stream.Event[bev], benchKeys)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range batch {
		batch[i] = stream.Event[bev]{Value: bev{Key: uint64(i)}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var tProc, tFire time.Duration
	fired := 0
	for w := int64(0); fired < b.N; w++ {
		base := w * int64(time.Second)
		r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		for i := range batch {
			batch[i].Time = base + int64(i)
		}
		t0 := time.Now()
		e.process(batch)
		t1 := time.Now()
		e.advance(base + int64(time.Second) - 1)
		tProc, tFire = tProc+t1.Sub(t0), tFire+time.Since(t1)
		fired += benchKeys
	}
	b.ReportMetric(float64(tProc.Nanoseconds())/float64(fired), "ns/element")
	b.ReportMetric(float64(tFire.Nanoseconds())/float64(fired), "ns/result")
}
