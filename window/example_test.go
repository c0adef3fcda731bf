package window_test

import (
	"context"
	"fmt"
	"time"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/stream"
	"github.com/weirhq/weir/window"
)

type click struct {
	User string
	Page string
}

// at is a timestamp in seconds since 12:00 (UTC, 2024-01-01), for readable
// examples.
func at(sec float64) int64 {
	return time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).UnixNano() + int64(sec*1e9)
}

func hhmmss(ns int64) string { return stream.ToTime(ns).Format("15:04:05") }

// input is a scripted source: elements at given seconds and explicit
// watermarks (wm < 0 means none).
type input struct {
	user string
	sec  float64
	wm   float64
}

func source(in []input) stream.Source[click] {
	return stream.SourceFunc[click](func(ctx context.Context, out *stream.Emitter[click]) error {
		for _, x := range in {
			if x.user == "" {
				out.Watermark(at(x.wm))
				continue
			}
			out.EmitNanos(click{User: x.user, Page: "/"}, at(x.sec))
		}
		return nil
	})
}

// printer is a sink printing each result.
type printer[K, R any] struct{}

func (printer[K, R]) Write(_ context.Context, b []stream.Event[window.Result[K, R]]) error {
	for _, e := range b {
		r := e.Value
		start, end := "-inf", "+inf"
		if r.Start != stream.MinTime {
			start, end = hhmmss(r.Start), hhmmss(r.End)
		}
		fmt.Printf("%v [%s, %s) %v %v\n", r.Key, start, end, r.Firing, r.Value)
	}
	return nil
}
func (printer[K, R]) Flush(context.Context) error { return nil }

func run[R any](in []input, build func(stream.KeyedStream[string, click]) stream.Stream[window.Result[string, R]]) {
	p := stream.New()
	src := stream.From(p, source(in), stream.Watermarks(stream.NoWatermarks()))
	byUser := stream.KeyBy(src, func(c click) string { return c.User })
	stream.To(build(byUser), printer[string, R]{})
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
}

// Clicks per user per minute.
func ExampleTumbling() {
	run([]input{{user: "ann", sec: 1}, {user: "bob", sec: 20}, {user: "ann", sec: 59}, {user: "ann", sec: 61}},
		func(ks stream.KeyedStream[string, click]) stream.Stream[window.Result[string, int64]] {
			return window.Aggregate(ks, window.Tumbling(time.Minute), agg.Count[click]())
		})
	// Output:
	// ann [12:00:00, 12:01:00) on-time 2
	// bob [12:00:00, 12:01:00) on-time 1
	// ann [12:01:00, 12:02:00) on-time 1
}

// Clicks per user over the last 2 minutes, every minute.
func ExampleSliding() {
	run([]input{{user: "ann", sec: 30}, {user: "ann", sec: 90}},
		func(ks stream.KeyedStream[string, click]) stream.Stream[window.Result[string, int64]] {
			return window.Aggregate(ks, window.Sliding(2*time.Minute, time.Minute), agg.Count[click]())
		})
	// Output:
	// ann [11:59:00, 12:01:00) on-time 1
	// ann [12:00:00, 12:02:00) on-time 2
	// ann [12:01:00, 12:03:00) on-time 1
}

// Sessions end after 30 s without a click; the click at 12:00:25, arriving
// out of order, bridges the first two.
func ExampleSession() {
	run([]input{{user: "ann", sec: 0}, {user: "ann", sec: 50}, {user: "ann", sec: 25}, {user: "ann", sec: 200}},
		func(ks stream.KeyedStream[string, click]) stream.Stream[window.Result[string, int64]] {
			return window.Aggregate(ks, window.Session(30*time.Second), agg.Count[click]())
		})
	// Output:
	// ann [12:00:00, 12:01:20) on-time 3
	// ann [12:03:20, 12:03:50) on-time 1
}

// Count windows: one result per 2 clicks of a user, and the rest at the end.
func ExampleGlobal() {
	run([]input{{user: "ann", sec: 1}, {user: "ann", sec: 2}, {user: "ann", sec: 3}},
		func(ks stream.KeyedStream[string, click]) stream.Stream[window.Result[string, int64]] {
			return window.Aggregate(ks, window.Global(), agg.Count[click](), window.EarlyEveryCount(2), window.Discarding())
		})
	// Output:
	// ann [-inf, +inf) early 2
	// ann [-inf, +inf) on-time 1
}

// A click 20 s late updates its window (allowed lateness 30 s); one 2
// minutes late goes to the late stream.
func ExampleAggregateLate() {
	p := stream.New()
	src := stream.From(p, source([]input{
		{user: "ann", sec: 10}, {wm: 61}, {user: "ann", sec: 50}, {wm: 120}, {user: "ann", sec: 5},
	}), stream.Watermarks(stream.NoWatermarks()))
	byUser := stream.KeyBy(src, func(c click) string { return c.User })
	counts, late := window.AggregateLate(byUser, window.Tumbling(time.Minute), agg.Count[click](),
		window.AllowedLateness(30*time.Second))
	stream.To(counts, printer[string, int64]{})
	stream.To(stream.Map(late, func(c click) string { return c.User }), stream.Sink[string](lateSink{}))
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ann [12:00:00, 12:01:00) on-time 1
	// ann [12:00:00, 12:01:00) late 2
	// late: ann at 12:00:05
}

type lateSink struct{}

func (lateSink) Write(_ context.Context, b []stream.Event[string]) error {
	for _, e := range b {
		fmt.Printf("late: %s at %s\n", e.Value, hhmmss(e.Time))
	}
	return nil
}
func (lateSink) Flush(context.Context) error { return nil }

// Early results every 2 clicks, then the on-time result.
func ExampleEarlyEveryCount() {
	run([]input{{user: "ann", sec: 1}, {user: "ann", sec: 2}, {user: "ann", sec: 3}},
		func(ks stream.KeyedStream[string, click]) stream.Stream[window.Result[string, int64]] {
			return window.Aggregate(ks, window.Tumbling(time.Minute), agg.Count[click](), window.EarlyEveryCount(2))
		})
	// Output:
	// ann [12:00:00, 12:01:00) early 2
	// ann [12:00:00, 12:01:00) on-time 3
}

// One result per window, once the allowed lateness has passed: the late
// click is included and nothing is emitted twice.
func ExampleFinalOnly() {
	run([]input{{user: "ann", sec: 10}, {wm: 61}, {user: "ann", sec: 50}, {wm: 95}},
		func(ks stream.KeyedStream[string, click]) stream.Stream[window.Result[string, int64]] {
			return window.Aggregate(ks, window.Tumbling(time.Minute), agg.Count[click](),
				window.AllowedLateness(30*time.Second), window.FinalOnly())
		})
	// Output:
	// ann [12:00:00, 12:01:00) on-time 2
}

// The full-window variant: the function sees every element of the window.
func ExampleProcess() {
	run([]input{{user: "ann", sec: 5}, {user: "ann", sec: 1}, {user: "ann", sec: 30}},
		func(ks stream.KeyedStream[string, click]) stream.Stream[window.Result[string, string]] {
			return window.Process(ks, window.Tumbling(time.Minute),
				func(user string, start, end int64, clicks []stream.Event[click]) string {
					first, last := clicks[0].Time, clicks[len(clicks)-1].Time
					return fmt.Sprintf("%d clicks over %v", len(clicks), time.Duration(last-first))
				})
		})
	// Output:
	// ann [12:00:00, 12:01:00) on-time 3 clicks over 29s
}

// Daily windows starting at 06:00 UTC.
func ExampleAssigner_WithOffset() {
	run([]input{{user: "ann", sec: 0}},
		func(ks stream.KeyedStream[string, click]) stream.Stream[window.Result[string, int64]] {
			return window.Aggregate(ks, window.Tumbling(24*time.Hour).WithOffset(6*time.Hour), agg.Count[click]())
		})
	// Output:
	// ann [06:00:00, 06:00:00) on-time 1
}
