package window

import (
	"fmt"
	"slices"
	"time"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/stream"
)

// Aggregator is agg.Aggregator: an incremental aggregation of elements of
// type T into an accumulator A with result R (agg.Count, agg.Sum,
// agg.Distinct, ... or your own; see package agg for the contract).
// Aggregators that also implement agg.Resetter let windows reuse accumulator
// memory when a window is dropped.
type Aggregator[T, A, R any] = agg.Aggregator[T, A, R]

type resetter[A any] = agg.Resetter[A]

// core holds what all window engines share: configuration, the aggregator
// and the outputs. The engines are deterministic: advanced only by process,
// advance and earlyTick calls.
type core[K comparable, T, A, R any] struct {
	cfg    config
	keyOf  func(T) K
	ag     Aggregator[T, A, R]
	rs     resetter[A]
	result func(k K, start, end int64, acc *A) R // nil: ag.Result
	out    func(Result[K, R], int64)             // used when col is nil
	col    *stream.Collector[Result[K, R]]
	// keepsAll: the accumulator holds every element (Process), so sliding
	// windows merge their panes per firing instead of keeping partial merges.
	keepsAll bool
	late     func(T, int64)
	nLate    func(int)
	when     func(T) bool
	early    bool
	wm       int64
	L, D     int64 // allowed lateness; emission delay (L with FinalOnly, else 0)
}

func (c *core[K, T, A, R]) reset(acc *A) {
	if c.rs != nil {
		c.rs.Reset(acc)
		return
	}
	*acc = c.ag.Init()
}

func (c *core[K, T, A, R]) emit(k K, start, end int64, acc *A, f Firing) {
	var v R
	if c.result != nil {
		v = c.result(k, start, end, acc)
	} else {
		v = c.ag.Result(acc)
	}
	if c.col != nil {
		// filled in place: Result is too large to be passed cheaply
		r := c.col.Append(end - 1)
		r.Key, r.Start, r.End, r.Value, r.Firing = k, start, end, v, f
		return
	}
	c.out(Result[K, R]{Key: k, Start: start, End: end, Value: v, Firing: f}, end-1)
}

func (c *core[K, T, A, R]) retract(k K, start, end int64) {
	r := Result[K, R]{Key: k, Start: start, End: end, Firing: Retract}
	if c.col != nil {
		c.col.EmitAt(r, end-1)
		return
	}
	c.out(r, end-1)
}

func (c *core[K, T, A, R]) dropLate(v T, ts int64) {
	c.nLate(1)
	c.late(v, ts)
}

// engine is the deterministic window logic behind an operator.
type engine[T any] interface {
	process(b []stream.Event[T])
	advance(wm int64)
	earlyTick()
	retainedFrom() int64
	outputDelay() int64
}

func newEngine[K comparable, T, A, R any](a Assigner, c core[K, T, A, R]) (engine[T], error) {
	c.wm = minTime
	c.L = c.cfg.lateness
	if c.cfg.finalOnly {
		c.D = c.L
	}
	c.early = c.cfg.early()
	if c.cfg.earlyWhen != nil {
		f, ok := c.cfg.earlyWhen.(func(T) bool)
		if !ok {
			return nil, fmt.Errorf("%w: EarlyWhen function is %T, want func(%T) bool", ErrInvalid, c.cfg.earlyWhen, *new(T))
		}
		c.when = f
	}
	c.rs, _ = c.ag.(resetter[A])
	switch a.kind {
	case kindTumbling, kindSliding:
		return newRing(a, c), nil
	case kindSession:
		var gapFn func(T) time.Duration
		if a.gapFn != nil {
			f, ok := a.gapFn.(func(T) time.Duration)
			if !ok {
				return nil, fmt.Errorf("%w: SessionFunc gap function is %T, want func(%T) time.Duration", ErrInvalid, a.gapFn, *new(T))
			}
			gapFn = f
		}
		return newSessions(a.gap, gapFn, c), nil
	default:
		return newGlobal(c), nil
	}
}

// operator adapts an engine to stream.Operator.
type operator[T any] struct {
	e            engine[T]
	err          error
	fail         func(error)
	every        int64
	nextEarly    int64
	startedEarly bool
	// ranged: only event times in [lo, hi] reach the engine; the others go
	// to reject (tumbling and sliding windows, see timeRange).
	ranged bool
	lo, hi int64
	// rangeMsg describes [lo, hi] in the errors of elements outside it.
	rangeMsg string
	reject   func(ts int64, value any, raw []byte, err error)
}

func (o *operator[T]) check() {
	if o.err != nil {
		o.fail(o.err)
	}
}

func (o *operator[T]) ProcessBatch(b []stream.Event[T]) {
	o.check()
	if o.ranged {
		for i := range b {
			if t := b[i].Time; t < o.lo || t > o.hi {
				b = o.dropOutOfRange(b, i)
				break
			}
		}
	}
	o.e.process(b)
}

// dropOutOfRange hands the elements of b from i on whose time is outside
// [o.lo, o.hi] (b[i] is one) to the stage's error policy and returns the
// others, compacted in place (the batch is the operator's during the call).
func (o *operator[T]) dropOutOfRange(b []stream.Event[T], i int) []stream.Event[T] {
	j := i
	for ; i < len(b); i++ {
		if t := b[i].Time; t < o.lo || t > o.hi {
			// (stream.ToTime shows MinTime as the zero time.Time it comes from)
			o.reject(t, b[i].Value, nil, fmt.Errorf("%w: %s, got %d (%v)", ErrTimeRange, o.rangeMsg, t, stream.ToTime(t).Format(time.RFC3339Nano)))
			continue
		}
		b[j] = b[i]
		j++
	}
	clear(b[j:])
	return b[:j]
}

// timeRange returns the event times [lo, hi] that tumbling or sliding
// windows of a with allowed lateness l accept: those whose windows, and the
// windows next to them, have bounds (plus l, at the low end) representable
// in int64 nanoseconds, with a slide to spare. lo > hi when the windows are
// too large for any time.
func timeRange(a Assigner, l int64) (lo, hi int64) {
	m := satAdd(satAdd(a.size, a.slide), a.slide)
	return minTime + satAdd(m, l), maxTime - m
}

func (o *operator[T]) OnWatermark(wm int64) {
	o.check()
	o.e.advance(wm)
}

// OnEnd does nothing: the final watermark has fired everything, and a
// cancelled run must not fire incomplete windows.
func (o *operator[T]) OnEnd() { o.check() }

func (o *operator[T]) OnProcessingTime(now int64) {
	if o.every <= 0 || o.err != nil {
		return
	}
	if !o.startedEarly {
		o.startedEarly, o.nextEarly = true, now+o.every
		return
	}
	if now >= o.nextEarly {
		o.e.earlyTick()
		o.nextEarly = now + o.every
	}
}

func (o *operator[T]) RetainedFrom() int64 {
	if o.err != nil {
		return maxTime
	}
	return o.e.retainedFrom()
}

func (o *operator[T]) OutputDelay() int64 {
	if o.err != nil {
		return 0
	}
	return o.e.outputDelay()
}

var _ stream.Retainer = (*operator[int])(nil)
var _ stream.ProcessingTimeOperator = (*operator[int])(nil)

func build[K comparable, T, A, R any](ks stream.KeyedStream[K, T], a Assigner, ag Aggregator[T, A, R], result func(K, int64, int64, *A) R, keepsAll bool, kindName string, opts []Option) (stream.Stream[Result[K, R]], stream.Stream[T]) {
	cfg := newConfig(opts)
	keyOf := ks.Key()
	// Mistakes are found here, while building: Run then fails before
	// starting anything (Pipeline.Invalid). The operator keeps the error as
	// well, should it be instantiated anyway.
	err := cfg.validate(a)
	if err == nil && ag == nil {
		err = fmt.Errorf("%w: nil aggregator", ErrInvalid)
	}
	if err == nil {
		err = checkTypes[T](a, cfg)
	}
	out, late := stream.ApplyKeyedWithSide(ks, kindName, func(c *stream.OpContext[Result[K, R]], side *stream.Collector[T]) stream.Operator[T] {
		o := &operator[T]{fail: c.Fail, every: cfg.earlyEvery, err: err, reject: c.Reject}
		if err == nil && (a.kind == kindTumbling || a.kind == kindSliding) {
			o.ranged = true
			o.lo, o.hi = timeRange(a, cfg.lateness)
			o.rangeMsg = fmt.Sprintf("%v windows take times from %v to %v", a,
				stream.ToTime(o.lo).Format(time.RFC3339Nano), stream.ToTime(o.hi).Format(time.RFC3339Nano))
		}
		if err == nil {
			o.e, o.err = newEngine(a, core[K, T, A, R]{
				cfg: cfg, keyOf: keyOf, ag: ag, result: result, keepsAll: keepsAll,
				col:   c.Out,
				late:  func(v T, ts int64) { side.EmitAt(v, ts) },
				nLate: c.CountLate,
			})
		}
		return o
	}, cfg.stage...)
	if err != nil {
		ks.Pipeline().Invalid(out.Name(), err)
	}
	return out, late
}

// checkTypes checks the element type of the functions given as any
// (EarlyWhen, SessionFunc) against the stage's element type T.
func checkTypes[T any](a Assigner, cfg config) error {
	if cfg.earlyWhen != nil {
		if _, ok := cfg.earlyWhen.(func(T) bool); !ok {
			return fmt.Errorf("%w: EarlyWhen function is %T, want func(%T) bool", ErrInvalid, cfg.earlyWhen, *new(T))
		}
	}
	if a.gapFn != nil {
		if _, ok := a.gapFn.(func(T) time.Duration); !ok {
			return fmt.Errorf("%w: SessionFunc gap function is %T, want func(%T) time.Duration", ErrInvalid, a.gapFn, *new(T))
		}
	}
	return nil
}

// Aggregate windows a keyed stream with assigner a and folds each (key,
// window) with the aggregator ag, emitting one Result per firing: by
// default one OnTime result per window that received elements, when the
// watermark passes its end, and a Late update per allowed-late element (see
// AllowedLateness, EarlyEvery, EarlyEveryCount, FinalOnly, Discarding).
// Results travel at event time End-1.
//
// Late elements (beyond the allowed lateness) are counted in the stage's
// Late metric and discarded; use AggregateLate to receive them. At the end
// of bounded input every window fires; a cancelled run fires nothing more.
// State is dropped when the watermark passes a window's end plus the allowed
// lateness. Invalid assigners or options make Run fail before it starts
// anything, with an error wrapping ErrInvalid and stream.ErrInvalidPipeline.
// With tumbling and sliding windows, an element whose time is too close to
// stream.MinTime or stream.MaxTime for its windows' bounds to fit in int64
// nanoseconds goes to the stage's error policy (stream.OnError, by default
// failing Run) with an error wrapping ErrTimeRange.
func Aggregate[K comparable, T, A, R any](ks stream.KeyedStream[K, T], a Assigner, ag Aggregator[T, A, R], opts ...Option) stream.Stream[Result[K, R]] {
	out, _ := build(ks, a, ag, nil, false, "window", opts)
	return out
}

// AggregateLate is Aggregate that also returns the late stream: every
// element too late for all of its windows (the watermark had passed each
// window's end plus the allowed lateness when it arrived), at its own event
// time, in arrival order. The late stream may be left unconsumed.
func AggregateLate[K comparable, T, A, R any](ks stream.KeyedStream[K, T], a Assigner, ag Aggregator[T, A, R], opts ...Option) (stream.Stream[Result[K, R]], stream.Stream[T]) {
	return build(ks, a, ag, nil, false, "window", opts)
}

// Process is the full-window variant of Aggregate: it keeps every element of
// each (key, window) and calls fn with all of them, sorted by event time
// (stable), at each firing. fn must not keep elems after it returns.
//
// It is the costly choice: state grows with the number of elements (8
// bytes plus the size of T per element, plus slice growth) and each firing does work
// proportional to the window's elements. Prefer Aggregate with an
// incremental aggregator whenever the result can be computed incrementally.
func Process[K comparable, T, R any](ks stream.KeyedStream[K, T], a Assigner, fn func(key K, start, end int64, elems []stream.Event[T]) R, opts ...Option) stream.Stream[Result[K, R]] {
	var result func(K, int64, int64, *[]stream.Event[T]) R
	if fn != nil {
		result = func(k K, s, e int64, acc *[]stream.Event[T]) R {
			slices.SortStableFunc(*acc, func(x, y stream.Event[T]) int {
				switch {
				case x.Time < y.Time:
					return -1
				case x.Time > y.Time:
					return 1
				}
				return 0
			})
			return fn(k, s, e, *acc)
		}
	}
	var ag Aggregator[T, []stream.Event[T], R] = listAgg[T, R]{}
	if fn == nil {
		ag = nil
	}
	out, _ := build(ks, a, ag, result, true, "window.process", opts)
	return out
}

// listAgg keeps every element; its Result is never called (Process passes
// its own result function).
type listAgg[T, R any] struct{}

func (listAgg[T, R]) Init() []stream.Event[T] { return nil }
func (listAgg[T, R]) Add(acc *[]stream.Event[T], v T, ts int64) {
	*acc = append(*acc, stream.Event[T]{Value: v, Time: ts})
}
func (listAgg[T, R]) Merge(dst, src *[]stream.Event[T]) { *dst = append(*dst, *src...) }
func (listAgg[T, R]) Result(*[]stream.Event[T]) R       { var r R; return r }
func (listAgg[T, R]) Reset(acc *[]stream.Event[T]) {
	clear(*acc)
	*acc = (*acc)[:0]
}
