package join

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/stream"
)

// ev is an input element of a test: key, payload and time.
type ev struct {
	K string
	N int
	T int64
}

func (e ev) key() string { return e.K }

func (e ev) String() string { return fmt.Sprintf("%s/%d@%d", e.K, e.N, e.T) }

// playSource emits evs in the given order at their times, and after each one
// the watermark max-bound-1 (explicitly, so tests control it exactly).
func playSource(evs []ev, bound int64) stream.Source[ev] {
	return stream.SourceFunc[ev](func(ctx context.Context, out *stream.Emitter[ev]) error {
		hi := stream.MinTime
		for i, e := range evs {
			if i%64 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			out.EmitNanos(e, e.T)
			if e.T > hi {
				hi = e.T
				out.Watermark(hi - bound - 1)
			}
		}
		return nil
	})
}

func from(p *stream.Pipeline, evs []ev, bound int64) stream.KeyedStream[string, ev] {
	return stream.KeyBy(stream.From(p, playSource(evs, bound), stream.Watermarks(stream.NoWatermarks())), ev.key)
}

func run(t testing.TB, p *stream.Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// strs renders events as sorted "value@time" strings: a multiset.
func strs[T any](evs []stream.Event[T]) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%v@%d", e.Value, e.Time)
	}
	slices.Sort(out)
	return out
}

func sameMultiset(t testing.TB, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	gi, wi := 0, 0
	var extra, missing []string
	for gi < len(got) || wi < len(want) {
		switch {
		case wi == len(want) || (gi < len(got) && got[gi] < want[wi]):
			extra = append(extra, got[gi])
			gi++
		case gi == len(got) || got[gi] > want[wi]:
			missing = append(missing, want[wi])
			wi++
		default:
			gi++
			wi++
		}
	}
	t.Fatalf("got %d results, want %d\nunexpected: %.20v\nmissing: %.20v", len(got), len(want), extra, missing)
}

// genInput makes n elements over keys with times in [0, span), sorted by
// time, then returns them in an arrival order disordered by at most bound:
// each element arrives after those whose time+jitter is smaller, jitter in
// [0, bound]. With watermark max-bound-1 none is late.
func genInput(r *rand.Rand, n, keys int, span, bound int64, tag int) (sorted, arrival []ev) {
	sorted = make([]ev, n)
	for i := range sorted {
		sorted[i] = ev{K: fmt.Sprintf("k%d", r.IntN(keys)), N: tag*100000 + i, T: r.Int64N(span)}
	}
	slices.SortStableFunc(sorted, func(a, b ev) int { return cmp.Compare(a.T, b.T) })
	type arr struct {
		e ev
		a int64
	}
	as := make([]arr, n)
	for i, e := range sorted {
		as[i] = arr{e, e.T + r.Int64N(bound+1)}
	}
	slices.SortStableFunc(as, func(x, y arr) int { return cmp.Compare(x.a, y.a) })
	arrival = make([]ev, n)
	for i, a := range as {
		arrival[i] = a.e
	}
	return sorted, arrival
}

// capture is an emit function target for driving operators directly.
type capture[O any] struct {
	out  []stream.Event[O]
	late int
	drop int
}

func (c *capture[O]) emit(v O, ts int64) { c.out = append(c.out, stream.Event[O]{Value: v, Time: ts}) }

func (c *capture[O]) base() base[O] {
	return base[O]{
		emit: c.emit,
		late: func(n int) { c.late += n },
		fail: func(err error) { panic(err) },
		wm:   stream.MinTime,
	}
}

// step is one input of a direct drive: an element of one side or a
// watermark.
type step struct {
	left bool
	e    ev
	wm   int64
	isWM bool
}

// interleave merges two arrival orders randomly and inserts the watermark
// min(maxL, maxR) - bound - 1 whenever it advances, then the final one.
func interleave(r *rand.Rand, l, rr []ev, bound int64) []step {
	var out []step
	hiL, hiR := stream.MinTime, stream.MinTime
	wm := stream.MinTime
	i, j := 0, 0
	for i < len(l) || j < len(rr) {
		if j == len(rr) || (i < len(l) && r.IntN(2) == 0) {
			out = append(out, step{left: true, e: l[i]})
			hiL = max(hiL, l[i].T)
			i++
		} else {
			out = append(out, step{e: rr[j]})
			hiR = max(hiR, rr[j].T)
			j++
		}
		lo := min(hiL, hiR)
		if i == len(l) {
			lo = hiR // an ended input no longer holds the watermark back
		}
		if j == len(rr) {
			lo = hiL
		}
		if lo != stream.MinTime && lo-bound-1 > wm && r.IntN(3) == 0 {
			wm = lo - bound - 1
			out = append(out, step{wm: wm, isWM: true})
		}
	}
	return append(out, step{wm: stream.MaxTime, isWM: true})
}

// drive feeds steps to an operator, in single-element batches.
func drive[L, R any](op stream.Operator2[L, R], steps []step, left func(ev) L, right func(ev) R) {
	for _, s := range steps {
		switch {
		case s.isWM:
			op.OnWatermark(s.wm)
		case s.left:
			op.ProcessLeft([]stream.Event[L]{{Value: left(s.e), Time: s.e.T}})
		default:
			op.ProcessRight([]stream.Event[R]{{Value: right(s.e), Time: s.e.T}})
		}
	}
	op.OnEnd()
}

func id(e ev) ev { return e }
