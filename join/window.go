package join

import (
	"fmt"
	"math"
	"time"

	"github.com/weirhq/weir/stream"
)

// Windows are the event-time windows of a window join: every window is the
// interval [start, start+size) with start a multiple of the slide (windows
// are aligned to the Unix epoch). Make them with Tumbling or Sliding; the
// zero Windows is invalid.
type Windows struct {
	size, slide int64
}

// Tumbling returns windows of the given size that do not overlap: each
// element is in exactly one window. size <= 0 makes the join invalid (Run
// fails with ErrInvalidJoin).
func Tumbling(size time.Duration) Windows { return Windows{int64(size), int64(size)} }

// Sliding returns windows of the given size starting every slide: each
// element is in about size/slide windows and pairs up once in each window it
// shares with a partner. A slide larger than size leaves gaps: elements in a
// gap belong to no window and are counted as Dropped. size <= 0 or slide <= 0
// makes the join invalid.
func Sliding(size, slide time.Duration) Windows { return Windows{int64(size), int64(slide)} }

// Size returns the windows' length.
func (w Windows) Size() time.Duration { return time.Duration(w.size) }

// Slide returns the distance between the starts of consecutive windows
// (Size for tumbling windows).
func (w Windows) Slide() time.Duration { return time.Duration(w.slide) }

func (w Windows) validate() error {
	if w.size <= 0 || w.slide <= 0 {
		return invalid("window size %v and slide %v must be > 0", time.Duration(w.size), time.Duration(w.slide))
	}
	return nil
}

// lastStart returns the start of the last window that may contain t: the
// largest multiple of the slide <= t.
func (w Windows) lastStart(t int64) int64 {
	q := t / w.slide
	if t%w.slide != 0 && t < 0 {
		q--
	}
	return q * w.slide
}

// Window joins left and right by key and window: for every window and key,
// f is called once for each pair of a left and a right element of that key
// in that window (an inner join). Results are emitted as soon as both
// elements of a pair have arrived, stamped with the last instant of the
// window (start+size-1); with sliding windows a pair sharing several windows
// is emitted once per window.
//
// A window's buffers are dropped when the watermark reaches its last
// instant. An element is late when one of its windows was already dropped on
// arrival: it is counted in the Late metric and joins only in its windows
// that are still open (none, for tumbling windows); WindowLate returns the
// late elements in streams of their own. An element too close to the int64
// limits for its windows to be represented follows the stage's error
// policy (ErrTimeRange). Options are the stage's (stream.Name,
// stream.OnError). A nil f or invalid windows make Run fail with
// ErrInvalidJoin.
func Window[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], w Windows, f func(l L, r R) O, opts ...stream.StageOption) stream.Stream[O] {
	out, _, _ := windowStage(left, right, w, Inner, pairOf(f), false, opts)
	return out
}

// WindowLate is Window that also returns the late elements of each side, in
// their own streams, instead of only counting them (they are still counted
// in the Late metric). With sliding windows an element late for some of its
// windows still joins in the others: it is then both in results and in its
// late stream. The late streams may be left unconsumed.
func WindowLate[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], w Windows, f func(l L, r R) O, opts ...stream.StageOption) (out stream.Stream[O], lateLeft stream.Stream[L], lateRight stream.Stream[R]) {
	return windowStage(left, right, w, Inner, pairOf(f), true, opts)
}

func pairOf[L, R, O any](f func(L, R) O) func(Opt[L], Opt[R]) O {
	if f == nil {
		return nil
	}
	return func(l Opt[L], r Opt[R]) O { return f(l.Value, r.Value) }
}

// WindowOuter is Window with outer-join semantics chosen by kind: besides the
// matched pairs it calls f, once the window closes (the watermark reaches its
// last instant), for every element of the kept side(s) that found no partner
// in that window, with the other side absent (Opt.Ok false). With LeftOuter
// the left argument is always present, with RightOuter the right one; with
// FullOuter exactly one may be absent; Inner behaves as Window. With sliding
// windows an element is unmatched (and emitted) once per window in which it
// had no partner. Unmatched results are stamped with the window's last
// instant, like pairs. Late elements are treated as in Window (counted, and
// joined in those of their windows still open): they are never emitted as
// unmatched for a window that had closed.
func WindowOuter[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], w Windows, kind Kind, f func(l Opt[L], r Opt[R]) O, opts ...stream.StageOption) stream.Stream[O] {
	out, _, _ := windowStage(left, right, w, kind, f, false, opts)
	return out
}

// WindowOuterLate is WindowOuter that also returns the late elements of each
// side, as WindowLate does.
func WindowOuterLate[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], w Windows, kind Kind, f func(l Opt[L], r Opt[R]) O, opts ...stream.StageOption) (out stream.Stream[O], lateLeft stream.Stream[L], lateRight stream.Stream[R]) {
	return windowStage(left, right, w, kind, f, true, opts)
}

func windowStage[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], w Windows, kind Kind, f func(Opt[L], Opt[R]) O, withLate bool, opts []stream.StageOption) (stream.Stream[O], stream.Stream[L], stream.Stream[R]) {
	err := w.validate()
	if f == nil {
		err = invalid("nil join function")
	}
	if kind > FullOuter {
		err = invalid("unknown join kind %v", kind)
	}
	keyL, keyR := left.Key(), right.Key()
	newOp := func(c *stream.OpContext[O], sl *stream.Collector[L], sr *stream.Collector[R]) stream.Operator2[L, R] {
		j := newWindowJoin(w, kind, keyL, keyR, f)
		j.base = newBase(c)
		j.dropped = c.CountDropped
		j.sides = newLateSides(sl, sr)
		return j
	}
	return stage2(left, right, "windowjoin", newOp, withLate, err, opts)
}

type slot[T any] struct {
	v       T
	matched bool
}

// wbucket holds one key's elements in one window.
type wbucket[L, R any] struct {
	start int64
	l     []slot[L]
	r     []slot[R]
}

// wstate is one key's open windows, sorted by start. A key has few open
// windows (about size/slide, plus those held open by disorder), so a scan
// finds one faster than a map keyed by (key, window) would.
type wstate[L, R any] struct {
	w []wbucket[L, R]
}

// windowJoin is the window join operator: per key its open windows' buffers,
// an eviction index of (window end, key), eager emission of pairs.
type windowJoin[K comparable, L, R, O any] struct {
	base[O]
	sides       lateSides[L, R]
	dropped     func(int)
	size, slide int64
	w           Windows
	kind        Kind
	keyL        func(L) K
	keyR        func(R) K
	f           func(Opt[L], Opt[R]) O
	state       map[K]*wstate[L, R]
	due         index[K]
	free        []*wstate[L, R]
	held        int // buffered elements (one per window they are in)
	open        int // open windows
	// lo and hi bound the element times whose windows' bounds can be
	// computed without overflow (see ErrTimeRange).
	lo, hi int64
}

func newWindowJoin[K comparable, L, R, O any](w Windows, kind Kind, keyL func(L) K, keyR func(R) K, f func(Opt[L], Opt[R]) O) *windowJoin[K, L, R, O] {
	margin := addSat(addSat(w.size, w.slide), w.slide) // a window, and a slide either side
	return &windowJoin[K, L, R, O]{
		size: w.size, slide: w.slide, w: w, kind: kind, keyL: keyL, keyR: keyR, f: f,
		state: make(map[K]*wstate[L, R]),
		lo:    addSat(math.MinInt64, margin), hi: addSat(math.MaxInt64, -margin),
	}
}

// outOfRange hands an element whose windows cannot be represented to the
// error policy (see ErrTimeRange).
func (j *windowJoin[K, L, R, O]) outOfRange(t int64, v any) {
	err := fmt.Errorf("%w: element at %d, windows of %v", ErrTimeRange, t, time.Duration(j.size))
	if j.reject == nil {
		j.fail(err)
		return
	}
	j.reject(t, v, nil, err)
}

func (j *windowJoin[K, L, R, O]) keyState(k K) *wstate[L, R] {
	st := j.state[k]
	if st == nil {
		if n := len(j.free); n > 0 {
			st = j.free[n-1]
			j.free = j.free[:n-1]
		} else {
			st = new(wstate[L, R])
		}
		j.state[k] = st
	}
	return st
}

// bucket returns the key's bucket of the window starting at start, opening
// it if needed. The pointer is valid until the next bucket call.
func (j *windowJoin[K, L, R, O]) bucket(st *wstate[L, R], k K, start, end int64) *wbucket[L, R] {
	w := st.w
	i := len(w)
	for i > 0 && w[i-1].start >= start {
		if w[i-1].start == start {
			return &w[i-1]
		}
		i--
	}
	// Open a window at i, reusing the slices of a bucket beyond len.
	if len(w) < cap(w) {
		w = w[:len(w)+1]
	} else {
		w = append(w, wbucket[L, R]{})
	}
	b := w[len(w)-1]
	copy(w[i+1:], w[i:len(w)-1])
	b.start, b.l, b.r = start, b.l[:0], b.r[:0]
	w[i] = b
	st.w = w
	j.open++
	j.due.add(0, end, k)
	return &w[i]
}

// ProcessLeft joins left elements with the buffered right elements of their
// windows and buffers them.
func (j *windowJoin[K, L, R, O]) ProcessLeft(batch []stream.Event[L]) {
	late, dropped := 0, 0
	for i := range batch {
		v, t := batch[i].Value, batch[i].Time
		if t < j.lo || t > j.hi {
			j.outOfRange(t, v)
			continue
		}
		k := j.keyL(v)
		var st *wstate[L, R]
		in, isLate := false, false
		// Windows in ascending order, so that new buckets enter the
		// eviction index in time order.
		for s := j.w.lastStart(t-j.size) + j.slide; s <= t; s += j.slide {
			in = true
			end := addSat(s, j.size-1)
			if end <= j.wm {
				isLate = true // closed already
				continue
			}
			if st == nil {
				st = j.keyState(k)
			}
			b := j.bucket(st, k, s, end)
			for n := range b.r {
				j.emit(j.f(Some(v), Some(b.r[n].v)), end)
				b.r[n].matched = true
			}
			b.l = append(b.l, slot[L]{v, len(b.r) > 0})
			j.held++
		}
		if isLate {
			late++
			j.sides.left(v, t)
		} else if !in {
			dropped++
		}
	}
	j.report(late, dropped)
}

// ProcessRight is ProcessLeft for the right side.
func (j *windowJoin[K, L, R, O]) ProcessRight(batch []stream.Event[R]) {
	late, dropped := 0, 0
	for i := range batch {
		v, t := batch[i].Value, batch[i].Time
		if t < j.lo || t > j.hi {
			j.outOfRange(t, v)
			continue
		}
		k := j.keyR(v)
		var st *wstate[L, R]
		in, isLate := false, false
		// Windows in ascending order, so that new buckets enter the
		// eviction index in time order.
		for s := j.w.lastStart(t-j.size) + j.slide; s <= t; s += j.slide {
			in = true
			end := addSat(s, j.size-1)
			if end <= j.wm {
				isLate = true // closed already
				continue
			}
			if st == nil {
				st = j.keyState(k)
			}
			b := j.bucket(st, k, s, end)
			for n := range b.l {
				j.emit(j.f(Some(b.l[n].v), Some(v)), end)
				b.l[n].matched = true
			}
			b.r = append(b.r, slot[R]{v, len(b.l) > 0})
			j.held++
		}
		if isLate {
			late++
			j.sides.right(v, t)
		} else if !in {
			dropped++
		}
	}
	j.report(late, dropped)
}

func (j *windowJoin[K, L, R, O]) report(late, dropped int) {
	if late > 0 {
		j.late(late)
	}
	if dropped > 0 && j.dropped != nil {
		j.dropped(dropped)
	}
}

// OnWatermark closes the windows whose last instant is <= wm, emitting their
// unmatched elements for outer kinds.
func (j *windowJoin[K, L, R, O]) OnWatermark(wm int64) {
	j.wm = wm
	for {
		it, ok := j.due.next(wm)
		if !ok {
			break
		}
		st := j.state[it.k]
		start := addSat(it.t, -(j.size - 1))
		i := 0
		for i < len(st.w) && st.w[i].start != start {
			i++
		}
		b := &st.w[i]
		if j.kind.keepLeft() {
			for n := range b.l {
				if !b.l[n].matched {
					j.emit(j.f(Some(b.l[n].v), None[R]()), it.t)
				}
			}
		}
		if j.kind.keepRight() {
			for n := range b.r {
				if !b.r[n].matched {
					j.emit(j.f(None[L](), Some(b.r[n].v)), it.t)
				}
			}
		}
		j.held -= len(b.l) + len(b.r)
		j.open--
		// Close the window, keeping its slices beyond len for reuse.
		done := *b
		clear(done.l)
		clear(done.r)
		w := st.w
		copy(w[i:], w[i+1:])
		w[len(w)-1] = wbucket[L, R]{l: done.l[:0], r: done.r[:0]}
		st.w = w[:len(w)-1]
		if len(st.w) == 0 {
			delete(j.state, it.k)
			if len(j.free) < maxFree {
				j.free = append(j.free, st)
			}
		}
	}
}

// OnEnd drops what is left (after a cancelled run: nothing is emitted).
func (j *windowJoin[K, L, R, O]) OnEnd() {
	clear(j.state)
	j.due.reset()
	j.free = nil
	j.held = 0
}

// RetainedFrom returns the start of the earliest open window, a lower bound
// of the time of every buffered element, or stream.MaxTime.
func (j *windowJoin[K, L, R, O]) RetainedFrom() int64 {
	x, _, ok := j.due.min()
	if !ok {
		return stream.MaxTime
	}
	return addSat(x, -(j.size - 1))
}

// OutputDelay returns the window size: a result is stamped at most size-1
// after any element it derives from.
func (j *windowJoin[K, L, R, O]) OutputDelay() int64 { return j.size }
