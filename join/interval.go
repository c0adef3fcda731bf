package join

import (
	"math"
	"time"

	"github.com/weirhq/weir/stream"
)

// Interval joins left and right by key and time: a left element at time t
// and a right element of the same key at time u pair up when
// t+lower <= u <= t+upper (both bounds inclusive; either may be negative;
// math.MinInt64 and math.MaxInt64 leave the interval open on that side).
// f is called once per pair, as soon as the later of the two arrives; the
// result is stamped max(t, u).
//
// A left element is buffered until the watermark reaches t+upper, a right
// one until it reaches u-lower; after that no on-time element can match them
// and they are evicted, so state is bounded by the input rate times the
// interval plus the watermark delay. An element whose time is at or before
// the watermark on arrival is late: it is counted in the Late metric and
// dropped (its partners may already be evicted); IntervalLate returns the
// late elements in streams of their own. lower > upper, or a nil f,
// makes Run fail with ErrInvalidJoin. Options are the stage's.
func Interval[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], lower, upper time.Duration, f func(l L, r R) O, opts ...stream.StageOption) stream.Stream[O] {
	out, _, _ := intervalStage(left, right, lower, upper, false, innerOf(f), false, opts)
	return out
}

// IntervalLate is Interval that also returns the late elements of each
// side, in their own streams, instead of only counting them (they are still
// counted in the Late metric). The late streams may be left unconsumed.
func IntervalLate[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], lower, upper time.Duration, f func(l L, r R) O, opts ...stream.StageOption) (out stream.Stream[O], lateLeft stream.Stream[L], lateRight stream.Stream[R]) {
	return intervalStage(left, right, lower, upper, false, innerOf(f), true, opts)
}

func innerOf[L, R, O any](f func(L, R) O) func(L, Opt[R]) O {
	if f == nil {
		return nil
	}
	return func(l L, r Opt[R]) O { return f(l, r.Value) }
}

// IntervalLeft is Interval as a left outer join: besides the pairs, f is
// called with an absent right side (Opt.Ok false) for every left element that
// found no partner, once the watermark reaches t+upper (when no partner can
// come any more). That result is stamped t+max(0, upper). Each left element
// is emitted either in its pairs or exactly once unmatched; a late left
// element is counted and dropped, not emitted as unmatched.
func IntervalLeft[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], lower, upper time.Duration, f func(l L, r Opt[R]) O, opts ...stream.StageOption) stream.Stream[O] {
	out, _, _ := intervalStage(left, right, lower, upper, true, f, false, opts)
	return out
}

// IntervalLeftLate is IntervalLeft that also returns the late elements of
// each side, as IntervalLate does.
func IntervalLeftLate[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], lower, upper time.Duration, f func(l L, r Opt[R]) O, opts ...stream.StageOption) (out stream.Stream[O], lateLeft stream.Stream[L], lateRight stream.Stream[R]) {
	return intervalStage(left, right, lower, upper, true, f, true, opts)
}

func intervalStage[K comparable, L, R, O any](left stream.KeyedStream[K, L], right stream.KeyedStream[K, R], lower, upper time.Duration, outer bool, f func(L, Opt[R]) O, withLate bool, opts []stream.StageOption) (stream.Stream[O], stream.Stream[L], stream.Stream[R]) {
	var err error
	if lower > upper {
		err = invalid("interval lower bound %v > upper bound %v", lower, upper)
	}
	if f == nil {
		err = invalid("nil join function")
	}
	keyL, keyR := left.Key(), right.Key()
	newOp := func(c *stream.OpContext[O], sl *stream.Collector[L], sr *stream.Collector[R]) stream.Operator2[L, R] {
		j := newIntervalJoin(int64(lower), int64(upper), outer, keyL, keyR, f)
		j.base = newBase(c)
		j.sides = newLateSides(sl, sr)
		return j
	}
	return stage2(left, right, "intervaljoin", newOp, withLate, err, opts)
}

type istate[L, R any] struct {
	l tbuf[L]
	r tbuf[R]
}

// intervalJoin is the interval join operator: per key, both sides buffered
// sorted by time; an index of (expiry, key), one item per buffered element,
// drives eviction.
type intervalJoin[K comparable, L, R, O any] struct {
	base[O]
	sides        lateSides[L, R]
	lower, upper int64
	outer        bool
	keyL         func(L) K
	keyR         func(R) K
	f            func(L, Opt[R]) O
	state        map[K]*istate[L, R]
	due          index[K]
	free         []*istate[L, R]
	held         int
}

func newIntervalJoin[K comparable, L, R, O any](lower, upper int64, outer bool, keyL func(L) K, keyR func(R) K, f func(L, Opt[R]) O) *intervalJoin[K, L, R, O] {
	// -lower must not overflow: math.MinInt64 (no lower bound) becomes the
	// next value, as far back as time goes anyway.
	lower = max(lower, math.MinInt64+1)
	return &intervalJoin[K, L, R, O]{lower: lower, upper: upper, outer: outer, keyL: keyL, keyR: keyR, f: f, state: make(map[K]*istate[L, R])}
}

func (j *intervalJoin[K, L, R, O]) get(k K) *istate[L, R] {
	st := j.state[k]
	if st == nil {
		if n := len(j.free); n > 0 {
			st = j.free[n-1]
			j.free = j.free[:n-1]
		} else {
			st = new(istate[L, R])
		}
		j.state[k] = st
	}
	return st
}

// ProcessLeft joins left elements with the buffered right ones and buffers
// them until the watermark passes t+upper.
func (j *intervalJoin[K, L, R, O]) ProcessLeft(batch []stream.Event[L]) {
	late := 0
	for i := range batch {
		v, t := batch[i].Value, batch[i].Time
		if t <= j.wm {
			late++
			j.sides.left(v, t)
			continue
		}
		k := j.keyL(v)
		st := j.state[k]
		matched := false
		if st != nil && st.r.len() > 0 {
			rs := st.r.live()
			hi := addSat(t, j.upper)
			for n := st.r.search(addSat(t, j.lower)); n < len(rs) && rs[n].t <= hi; n++ {
				j.emit(j.f(v, Some(rs[n].v)), max(t, rs[n].t))
				matched = true
			}
		}
		exp := addSat(t, j.upper)
		if exp <= j.wm { // no right element still to come can match
			if j.outer && !matched {
				j.emit(j.f(v, None[R]()), t)
			}
			continue
		}
		if st == nil {
			st = j.get(k)
		}
		st.l.insert(entry[L]{t, v, matched})
		j.held++
		j.due.add(0, exp, k)
	}
	if late > 0 {
		j.late(late)
	}
}

// ProcessRight joins right elements with the buffered left ones and buffers
// them until the watermark passes u-lower.
func (j *intervalJoin[K, L, R, O]) ProcessRight(batch []stream.Event[R]) {
	late := 0
	for i := range batch {
		v, t := batch[i].Value, batch[i].Time
		if t <= j.wm {
			late++
			j.sides.right(v, t)
			continue
		}
		k := j.keyR(v)
		st := j.state[k]
		if st != nil && st.l.len() > 0 {
			ls := st.l.live()
			hi := addSat(t, -j.lower)
			for n := st.l.search(addSat(t, -j.upper)); n < len(ls) && ls[n].t <= hi; n++ {
				j.emit(j.f(ls[n].v, Some(v)), max(t, ls[n].t))
				ls[n].matched = true
			}
		}
		exp := addSat(t, -j.lower)
		if exp <= j.wm { // no left element still to come can match
			continue
		}
		if st == nil {
			st = j.get(k)
		}
		st.r.insert(entry[R]{t, v, false})
		j.held++
		j.due.add(1, exp, k)
	}
	if late > 0 {
		j.late(late)
	}
}

// OnWatermark evicts the elements that can no longer match, emitting the
// unmatched left ones of a left outer join.
func (j *intervalJoin[K, L, R, O]) OnWatermark(wm int64) {
	j.wm = wm
	for {
		it, ok := j.due.next(wm)
		if !ok {
			break
		}
		st := j.state[it.k]
		if st == nil {
			continue // evicted with an earlier item of the key
		}
		ls := st.l.live()
		n := 0
		for ; n < len(ls) && addSat(ls[n].t, j.upper) <= wm; n++ {
			if j.outer && !ls[n].matched {
				j.emit(j.f(ls[n].v, None[R]()), addSat(ls[n].t, max(0, j.upper)))
			}
		}
		st.l.dropFront(n)
		rs := st.r.live()
		m := 0
		for m < len(rs) && addSat(rs[m].t, -j.lower) <= wm {
			m++
		}
		st.r.dropFront(m)
		j.held -= n + m
		if st.l.len() > 0 || st.r.len() > 0 {
			continue
		}
		delete(j.state, it.k)
		if len(j.free) < maxFree {
			st.l.reset()
			st.r.reset()
			j.free = append(j.free, st)
		}
	}
}

// OnEnd drops what is left (after a cancelled run: nothing is emitted).
func (j *intervalJoin[K, L, R, O]) OnEnd() {
	clear(j.state)
	j.due.reset()
	j.free = nil
	j.held = 0
}

// RetainedFrom returns a lower bound of the time of every buffered element,
// or stream.MaxTime when nothing is buffered.
func (j *intervalJoin[K, L, R, O]) RetainedFrom() int64 {
	x, _, ok := j.due.min()
	if !ok {
		return stream.MaxTime
	}
	return min(addSat(x, -j.upper), addSat(x, j.lower))
}

// OutputDelay returns max(0, upper, -lower): a result is stamped at the
// later of its elements' times, or at t+upper for an unmatched left one.
func (j *intervalJoin[K, L, R, O]) OutputDelay() int64 { return max(0, j.upper, -j.lower) }
