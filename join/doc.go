// Package join joins keyed streams: window joins, interval joins and
// stream-table (enrichment) joins.
//
// Every join is a keyed two-input stage (see stream.ApplyKeyed2): the left
// and right inputs are KeyedStreams with the same key type, and the elements
// of one key from both sides meet in one instance, so join state needs no
// locks. All joins are defined in event time and driven by watermarks only:
// the same inputs give the same results whatever their arrival order within
// the watermark bound.
//
//   - Window and WindowOuter pair the elements of one key that fall in the
//     same tumbling or sliding window (inner, left, right or full outer).
//   - Interval and IntervalLeft pair a left element at time t with the right
//     elements of its key in [t+lower, t+upper] (inner or left outer).
//   - Enrich and EnrichLeft look each element of a stream up in a table built
//     from a changelog stream (Table), by latest value or, with Versioned,
//     by the value as of the element's time.
//
// # Absent sides
//
// Outer joins pass the side that may be missing as an Opt: Ok is false for an
// element that found no partner, never a silent zero value.
//
// # State and watermarks
//
// Join buffers are evicted when the watermark (the minimum of both inputs'
// watermarks) shows that they can no longer match; outer joins emit their
// unmatched elements at that moment, exactly once. Eviction follows an index
// ordered by time, so a watermark costs in proportion to what it evicts, not
// to the number of keys. At the end of bounded input (the final watermark,
// stream.MaxTime) everything is flushed; a cancelled run (OnEnd without the
// final watermark) emits nothing more.
//
// # Late elements
//
// An element that arrives after the state it should have joined with was
// evicted is late: it is counted in the stage's Late metric and is not joined
// with what it missed. Interval joins drop it; window joins still join it
// in those of its (sliding) windows that are open; outer joins never emit it
// as unmatched for a window that had closed, since its partners may have
// been evicted before it came.
// Each join documents exactly when an element is late. IntervalLate,
// IntervalLeftLate, WindowLate and WindowOuterLate also return each side's
// late elements as a stream of its own (as Flink's interval join does with
// its side outputs), to log, count or repair; the table join's late
// elements are only counted.
//
// Every operator implements stream.Retainer so that sources may commit input
// positions while joins still hold state.
package join

import (
	"errors"
	"fmt"
	"math"

	"github.com/weirhq/weir/stream"
)

// ErrInvalidJoin is wrapped (together with stream.ErrInvalidPipeline) by the
// error Run returns for a join built with invalid parameters, such as a
// window size <= 0 or an interval whose lower bound exceeds its upper bound.
var ErrInvalidJoin = errors.New("join: invalid join")

// ErrTimeRange is wrapped by the error of an element a window join cannot
// place: its time is within about two windows of the limits of int64
// nanoseconds (some 292 years from 1970, as stream.TimeOf gives a zero
// time.Time), where its windows' bounds cannot be represented. Such an
// element follows the stage's error policy (stream.OnError): by default it
// fails the pipeline.
var ErrTimeRange = errors.New("join: event time too close to the limits of int64 nanoseconds")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", stream.ErrInvalidPipeline, ErrInvalidJoin, fmt.Sprintf(format, args...))
}

// Opt is a value that may be absent: the side of an outer join that found no
// partner has Ok false and a zero Value.
type Opt[T any] struct {
	Value T
	Ok    bool
}

// Some returns a present Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{Value: v, Ok: true} }

// None returns an absent Opt.
func None[T any]() Opt[T] { return Opt[T]{} }

// Get returns the value and whether it is present.
func (o Opt[T]) Get() (T, bool) { return o.Value, o.Ok }

// Or returns the value if present, else def.
func (o Opt[T]) Or(def T) T {
	if o.Ok {
		return o.Value
	}
	return def
}

// Kind selects which unmatched elements an outer window join emits.
type Kind uint8

const (
	// Inner emits matched pairs only.
	Inner Kind = iota
	// LeftOuter also emits each left element that found no right partner,
	// with an absent right side.
	LeftOuter
	// RightOuter also emits each right element that found no left partner,
	// with an absent left side.
	RightOuter
	// FullOuter emits the unmatched elements of both sides.
	FullOuter
)

// String returns the kind's name ("inner", "left", "right", "full").
func (k Kind) String() string {
	switch k {
	case Inner:
		return "inner"
	case LeftOuter:
		return "left"
	case RightOuter:
		return "right"
	case FullOuter:
		return "full"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

func (k Kind) keepLeft() bool  { return k == LeftOuter || k == FullOuter }
func (k Kind) keepRight() bool { return k == RightOuter || k == FullOuter }

// addSat returns a+b saturated to the int64 range, so that times near
// stream.MinTime and stream.MaxTime do not wrap around.
func addSat(a, b int64) int64 {
	s := a + b
	if b > 0 && s < a {
		return math.MaxInt64
	}
	if b < 0 && s > a {
		return math.MinInt64
	}
	return s
}

// base holds what every join operator shares: its output, the late counter
// and the error policy. (A join built with invalid parameters never runs: its
// stage function records the error with Pipeline.Invalid.)
type base[O any] struct {
	emit func(v O, ts int64)
	late func(n int)
	fail func(err error)
	// reject applies the stage's error policy to an element (nil outside a
	// pipeline: the operator benchmarks and direct tests fail instead).
	reject func(ts int64, v any, raw []byte, err error)
	wm     int64
}

// lateSides sends the late elements of a join's inputs to the stage's side
// outputs (the ...Late functions); without them the functions are nil and
// late elements are only counted.
type lateSides[L, R any] struct {
	l func(L, int64)
	r func(R, int64)
}

func newLateSides[L, R any](sl *stream.Collector[L], sr *stream.Collector[R]) lateSides[L, R] {
	if sl == nil {
		return lateSides[L, R]{}
	}
	return lateSides[L, R]{sl.EmitAt, sr.EmitAt}
}

func (s lateSides[L, R]) left(v L, t int64) {
	if s.l != nil {
		s.l(v, t)
	}
}

func (s lateSides[L, R]) right(v R, t int64) {
	if s.r != nil {
		s.r(v, t)
	}
}

// stage2 adds a keyed two-input join stage, with its late side outputs when
// withLate (else the side collectors given to newOp are nil and the side
// streams returned are zero). A non-nil err (invalid parameters) makes Run
// fail before starting anything.
func stage2[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], kind string, newOp func(*stream.OpContext[O], *stream.Collector[L], *stream.Collector[R]) stream.Operator2[L, R], withLate bool, err error, opts []stream.StageOption) (out stream.Stream[O], lateL stream.Stream[L], lateR stream.Stream[R]) {
	if withLate {
		out, lateL, lateR = stream.ApplyKeyed2WithSides(left, right, kind, newOp, opts...)
	} else {
		out = stream.ApplyKeyed2(left, right, kind, func(c *stream.OpContext[O]) stream.Operator2[L, R] { return newOp(c, nil, nil) }, opts...)
	}
	if err != nil {
		out.Pipeline().Invalid(out.Name(), err)
	}
	return out, lateL, lateR
}

func newBase[O any](c *stream.OpContext[O]) base[O] {
	return base[O]{emit: c.Out.EmitAt, late: c.CountLate, fail: c.Fail, reject: c.Reject, wm: stream.MinTime}
}

// The operators are Retainers (see stream.Retainer).
var (
	_ stream.Retainer = (*windowJoin[int, int, int, int])(nil)
	_ stream.Retainer = (*intervalJoin[int, int, int, int])(nil)
	_ stream.Retainer = (*tableJoin[int, int, int, int])(nil)
)
