package join

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/stream"
)

func TestInvalidJoins(t *testing.T) {
	cases := map[string]func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair]{
		"zero windows": func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair] {
			return Window(l, r, Windows{}, func(l, r ev) pair { return pair{} })
		},
		"zero slide": func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair] {
			return WindowOuter(l, r, Sliding(time.Second, 0), FullOuter, mkPair)
		},
		"bad kind": func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair] {
			return WindowOuter(l, r, Tumbling(time.Second), Kind(9), mkPair)
		},
		"nil window func": func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair] {
			return Window[string, ev, ev, pair](l, r, Tumbling(time.Second), nil)
		},
		"lower > upper": func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair] {
			return Interval(l, r, 2, 1, func(l, r ev) pair { return pair{} })
		},
		"nil interval func": func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair] {
			return IntervalLeft[string, ev, ev, pair](l, r, 0, 1, nil)
		},
		"negative retention": func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair] {
			return EnrichLeft(l, Table(stream.Map(r.Stream(), changeOf), Versioned(-1)), enrichPair)
		},
		"nil enrich func": func(p *stream.Pipeline, l, r stream.KeyedStream[string, ev]) stream.Stream[pair] {
			return Enrich[string, ev, ev, pair](l, Table(stream.Map(r.Stream(), changeOf)), nil)
		},
	}
	// The inputs stay quiet until cancelled: an invalid join must fail Run
	// at start, not when the operator first gets something.
	quiet := func(p *stream.Pipeline) stream.KeyedStream[string, ev] {
		return stream.KeyBy(stream.From(p, stream.SourceFunc[ev](func(ctx context.Context, _ *stream.Emitter[ev]) error {
			<-ctx.Done()
			return ctx.Err()
		})), ev.key)
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			p := stream.New()
			stream.To(build(p, quiet(p), quiet(p)), sink.Collect[pair]())
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := p.Run(ctx)
			if !errors.Is(err, ErrInvalidJoin) || !errors.Is(err, stream.ErrInvalidPipeline) {
				t.Fatalf("got %v, want ErrInvalidJoin", err)
			}
		})
	}
}

// TestLateCounted checks that a late element reaches the stage's Late
// metric and is dropped, through a real pipeline. Both inputs come from one
// source (odd payloads left, even right), so their order is fixed.
func TestLateCounted(t *testing.T) {
	p := stream.New()
	src := stream.From(p, playSource([]ev{{"a", 1, 10}, {"a", 2, 12}, {"a", 3, 100}, {"a", 5, 20}}, 0), stream.Watermarks(stream.NoWatermarks()))
	left := stream.KeyBy(stream.Filter(src, func(e ev) bool { return e.N%2 == 1 }), ev.key)
	right := stream.KeyBy(stream.Filter(src, func(e ev) bool { return e.N%2 == 0 }), ev.key)
	out := IntervalLeft(left, right, 0, 5, func(l ev, r Opt[ev]) pair { return mkPair(Some(l), r) }, stream.Name("ij"))
	col := sink.Collect[pair]()
	stream.To(out, col)
	run(t, p)
	m, _ := p.Stage("ij")
	got := strs(col.Events())
	want := []string{"a/1@10+a/2@12@12", "a/3@100+-@105"} // a/5@20 came after watermark 99
	if m.Late != 1 || !slices.Equal(got, want) {
		t.Fatalf("late %d, results %v, want 1 and %v", m.Late, got, want)
	}
}

// TestCancelEmitsNothingMore: a cancelled run does not flush outer joins.
func TestCancelEmitsNothingMore(t *testing.T) {
	p := stream.New()
	started := make(chan struct{})
	src := stream.SourceFunc[ev](func(ctx context.Context, out *stream.Emitter[ev]) error {
		out.EmitNanos(ev{"a", 1, 1}, 1)
		out.Flush()
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	left := stream.KeyBy(stream.From(p, src), ev.key)
	right := from(p, nil, 0)
	out := WindowOuter(left, right, Tumbling(10), FullOuter, mkPair)
	col := sink.Collect[pair]()
	stream.To(out, col)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; time.Sleep(20 * time.Millisecond); cancel() }()
	if err := p.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if len(col.Events()) != 0 {
		t.Fatalf("cancelled run emitted %v", strs(col.Events()))
	}
}

// TestIntervalOpenBounds: math.MinInt64 and math.MaxInt64 as bounds leave
// the interval open on that side (their negation must not overflow), in
// both arrival orders.
func TestIntervalOpenBounds(t *testing.T) {
	for _, c := range []struct{ lower, upper int64 }{{math.MinInt64, 0}, {0, math.MaxInt64}, {math.MinInt64, math.MaxInt64}} {
		out := &capture[pair]{}
		j := newIntervalJoin(c.lower, c.upper, false, ev.key, ev.key, func(l ev, r Opt[ev]) pair { return mkPair(Some(l), r) })
		j.base = out.base()
		j.ProcessLeft([]stream.Event[ev]{{Value: ev{"a", 1, 10}, Time: 10}})
		j.ProcessRight([]stream.Event[ev]{{Value: ev{"a", 2, 5}, Time: 5}, {Value: ev{"a", 3, 10}, Time: 10}, {Value: ev{"a", 4, 15}, Time: 15}})
		j.ProcessLeft([]stream.Event[ev]{{Value: ev{"a", 5, 12}, Time: 12}})
		j.OnWatermark(stream.MaxTime)
		// Pairs (left, right) with lower <= u-t <= upper.
		want := 0
		for _, l := range []int64{10, 12} {
			for _, r := range []int64{5, 10, 15} {
				if d := r - l; d >= c.lower && d <= c.upper {
					want++
				}
			}
		}
		if got := len(out.out); got != want {
			t.Fatalf("bounds [%d, %d]: %d pairs %v, want %d", c.lower, c.upper, got, strs(out.out), want)
		}
	}
}

// TestWindowJoinTimeRange: an element within a couple of windows of the
// int64 limits, whose windows cannot be represented, follows the error
// policy (ErrTimeRange) instead of hanging, panicking or misfiring; the
// elements beside it join as usual.
func TestWindowJoinTimeRange(t *testing.T) {
	for _, w := range []Windows{Tumbling(10), Sliding(100, 10)} {
		for _, at := range []int64{math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 15} {
			out := &capture[pair]{}
			j := newWindowJoin(w, FullOuter, ev.key, ev.key, mkPair)
			j.base = out.base()
			var rejected []int64
			j.reject = func(ts int64, _ any, _ []byte, err error) {
				if !errors.Is(err, ErrTimeRange) {
					t.Fatalf("rejected with %v, want ErrTimeRange", err)
				}
				rejected = append(rejected, ts)
			}
			j.ProcessLeft([]stream.Event[ev]{{Value: ev{"a", 1, at}, Time: at}, {Value: ev{"a", 2, 5}, Time: 5}})
			j.ProcessRight([]stream.Event[ev]{{Value: ev{"a", 3, 5}, Time: 5}})
			j.OnWatermark(stream.MaxTime)
			if len(rejected) != 1 || rejected[0] != at {
				t.Fatalf("%v at %d: rejected %v", w, at, rejected)
			}
			for _, e := range out.out {
				if e.Value.String() != "a/2@5+a/3@5" {
					t.Fatalf("%v at %d: result %v beside the joined pair", w, at, strs(out.out))
				}
			}
			if len(out.out) == 0 {
				t.Fatalf("%v at %d: the in-range pair did not join", w, at)
			}
		}
	}
	// Through a pipeline, the default policy fails the run naming the stage.
	p := stream.New()
	zero := stream.TimeOf(time.Time{}) // math.MinInt64
	l := from(p, []ev{{"a", 1, zero}}, 0)
	r := from(p, []ev{{"a", 2, 5}}, 0)
	stream.To(Window(l, r, Tumbling(time.Minute), func(l, r ev) pair { return pair{} }, stream.Name("wj")), sink.Collect[pair]())
	var se *stream.StageError
	if err := p.Run(context.Background()); !errors.Is(err, ErrTimeRange) || !errors.As(err, &se) || se.Stage != "wj" {
		t.Fatalf("Run = %v, want ErrTimeRange naming wj", err)
	}
}
