package window

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/stream"
)

// TestReplayDay windows a day of historical events (one every 250ms of
// event time, 100 keys, 2s disorder) in event time: it runs at CPU speed, and
// every event is counted exactly once.
func TestReplayDay(t *testing.T) {
	const step = 250 * time.Millisecond
	n := int(24 * time.Hour / step)
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	src := stream.SourceFunc[bev](func(ctx context.Context, out *stream.Emitter[bev]) error {
		r := rand.New(rand.NewPCG(7, 7))
		for i := 0; i < n; i++ {
			if i&1023 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			out.EmitNanos(bev{Key: r.Uint64N(100)}, day+int64(i)*int64(step)-r.Int64N(int64(2*time.Second)))
		}
		return nil
	})
	p := stream.New()
	s := stream.From(p, src, stream.Watermarks(stream.BoundedOutOfOrderness(2*time.Second)))
	res := Aggregate(stream.KeyBy(s, func(e bev) uint64 { return e.Key }), Tumbling(time.Minute), agg.Count[bev](), StageOptions(stream.Name("w")))
	col := sink.Collect[Result[uint64, int64]]()
	stream.To(res, col)
	start := time.Now()
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	var total int64
	windows := map[int64]bool{}
	for _, r := range col.Values() {
		total += r.Value
		windows[r.Start] = true
		if r.Firing != OnTime {
			t.Fatalf("unexpected %v", r)
		}
	}
	if total != int64(n) {
		t.Fatalf("counted %d events, want %d", total, n)
	}
	if m, _ := p.Stage("w"); m.Late != 0 {
		t.Fatalf("%d late", m.Late)
	}
	if len(windows) < 1440 || len(windows) > 1441 {
		t.Fatalf("%d distinct minutes, want 1440 (+1 for disorder before midnight)", len(windows))
	}
	t.Logf("a day (%d events, %d results) in %v", n, len(col.Events()), el)
	if el > 30*time.Second {
		t.Fatalf("replay took %v", el)
	}
}

// TestInvalid: invalid assigners and options make Run fail before starting
// anything, with an error wrapping ErrInvalid and stream.ErrInvalidPipeline.
func TestInvalid(t *testing.T) {
	cases := []struct {
		a    Assigner
		opts []Option
	}{
		{Assigner{}, nil},
		{Tumbling(0), nil},
		{Sliding(time.Second, 2*time.Second), nil},
		{Session(0), nil},
		{Session(time.Second).WithOffset(1), nil},
		{Global().WithOffset(1), nil},
		{Tumbling(time.Second), []Option{AllowedLateness(-1)}},
		{Tumbling(time.Second), []Option{EarlyEvery(0)}},
		{Tumbling(time.Second), []Option{EarlyEveryCount(0)}},
		{Tumbling(time.Second), []Option{FinalOnly(), EarlyEvery(time.Second)}},
		{Sliding(2*time.Second, time.Second), []Option{Discarding()}},
		{Tumbling(time.Second), []Option{EarlyWhen(func(int) bool { return true })}},
		{SessionFunc(func(int) time.Duration { return 1 }), nil},
	}
	run := func(t *testing.T, name string, add func(stream.KeyedStream[string, ev])) {
		t.Helper()
		p := stream.New()
		started := false
		src := stream.SourceFunc[ev](func(ctx context.Context, out *stream.Emitter[ev]) error {
			started = true
			out.EmitNanos(ev{"a", 1}, 1)
			return nil
		})
		s := stream.From(p, src, stream.Watermarks(stream.NoWatermarks()))
		add(stream.KeyBy(s, func(e ev) string { return e.K }))
		err := p.Run(context.Background())
		if !errors.Is(err, ErrInvalid) || !errors.Is(err, stream.ErrInvalidPipeline) {
			t.Errorf("%s: got %v, want ErrInvalid and stream.ErrInvalidPipeline", name, err)
		}
		if started {
			t.Errorf("%s: the source ran", name)
		}
	}
	for _, c := range cases {
		run(t, fmt.Sprintf("%v %d opts", c.a, len(c.opts)), func(ks stream.KeyedStream[string, ev]) {
			stream.To(Aggregate(ks, c.a, sumAgg{}, c.opts...), sink.Collect[Result[string, ns]]())
		})
	}
	run(t, "Process nil fn", func(ks stream.KeyedStream[string, ev]) {
		stream.To(Process[string, ev, int](ks, Tumbling(time.Second), nil), sink.Collect[Result[string, int]]())
	})
	run(t, "AggregateLate", func(ks stream.KeyedStream[string, ev]) {
		out, late := AggregateLate(ks, Tumbling(0), sumAgg{})
		stream.To(out, sink.Collect[Result[string, ns]]())
		stream.To(late, sink.Collect[ev]())
	})
}

// TestStateBytes measures the heap held per open (key, window): the figures
// quoted in the package documentation.
func TestStateBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	const keys = 2_000
	measure := func(name string, a Assigner, per int) {
		for _, ag := range []struct {
			name string
			run  func() any
		}{
			{"count", func() any { return fill(a, agg.Count[bev](), keys, per) }},
			{"distinct", func() any { return fill(a, agg.Distinct(func(e bev) uint32 { return e.User }), keys, per) }},
		} {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			e := ag.run()
			runtime.GC()
			runtime.ReadMemStats(&m1)
			t.Logf("%s %s, %d values per (key, window): %d bytes per (key, window)", name, ag.name, per, int64(m1.HeapAlloc-m0.HeapAlloc)/keys)
			runtime.KeepAlive(e)
		}
	}
	measure("tumbling", Tumbling(time.Minute), 10)
	measure("tumbling", Tumbling(time.Minute), 1000)
	measure("session", Session(time.Minute), 10)

	// Tumbling(1s) with AllowedLateness(1h), one element per key per
	// minute: each key holds the panes of the last hour, with elements or
	// not (the lateness figure of the package documentation)
	const lkeys = 200
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	ag := agg.Count[bev]()
	e, _ := newEngine(Tumbling(time.Second), core[uint64, bev, int64, int64]{
		cfg: newConfig([]Option{AllowedLateness(time.Hour)}), keyOf: func(v bev) uint64 { return v.Key }, ag: ag,
		result: func(_ uint64, _, _ int64, acc *int64) int64 { return ag.Result(acc) },
		out:    func(Result[uint64, int64], int64) {}, late: func(bev, int64) {}, nLate: func(int) {},
	})
	b := make([]stream.Event[bev], lkeys)
	for min := range int64(120) {
		for i := range b {
			b[i] = stream.Event[bev]{Value: bev{Key: uint64(i)}, Time: min*int64(time.Minute) + int64(i)}
		}
		e.process(b)
		e.advance(min*int64(time.Minute) + int64(59*time.Second))
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	t.Logf("tumbling(1s) lateness 1h count, one element per key per minute: %d bytes per key", int64(m1.HeapAlloc-m0.HeapAlloc)/lkeys)
	runtime.KeepAlive(e)
}

func fill[A, R any](a Assigner, ag Aggregator[bev, A, R], keys, per int) engine[bev] {
	e, _ := newEngine(a, core[uint64, bev, A, R]{
		keyOf: func(v bev) uint64 { return v.Key }, ag: ag,
		result: func(_ uint64, _, _ int64, acc *A) R { return ag.Result(acc) },
		out:    func(Result[uint64, R], int64) {}, late: func(bev, int64) {}, nLate: func(int) {},
	})
	b := make([]stream.Event[bev], keys)
	for j := range per {
		for i := range b {
			b[i] = stream.Event[bev]{Value: bev{Key: uint64(i), User: uint32(j*keys + i)}, Time: int64(j)}
		}
		e.process(b)
	}
	return e
}
