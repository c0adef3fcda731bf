package stream

import (
	"container/heap"
)

// TimerKind says which clock a timer follows.
type TimerKind uint8

const (
	// EventTimer fires when the watermark reaches its time.
	EventTimer TimerKind = iota
	// ProcessingTimer fires when the wall clock reaches its time (checked at
	// every tick of the pipeline's tick interval).
	ProcessingTimer
)

// Timer is a fired timer: its kind and time (Unix nanoseconds).
type Timer struct {
	Kind TimerKind
	Time int64
}

// KeyedContext is the view a Process function has of one key: its state,
// its timers and the output. It is valid only during the call it is passed to.
type KeyedContext[K comparable, S, O any] struct {
	op  *processOp[K, any, S, O]
	key K
	ts  int64
	// from is the lowest event time of an input element whose contribution
	// the current call may carry: the element's time, or the firing timer's
	// from, lowered to the key's state's from once the call has touched the
	// state (State, HasState). State, timers and outputs the call creates
	// inherit it.
	from int64
	// reject applies the error policy to the element being processed (boxed
	// only when called).
	reject func(error)
}

// Key returns the current key.
func (c *KeyedContext[K, S, O]) Key() K { return c.key }

// Time returns the event time of the element being processed, or the time of
// the timer firing.
func (c *KeyedContext[K, S, O]) Time() int64 { return c.ts }

// Watermark returns the current input watermark. An element with Time() <=
// Watermark() is late.
func (c *KeyedContext[K, S, O]) Watermark() int64 { return c.op.c.wm }

// State returns the key's state, creating a zero S on first use. The pointer
// stays valid until ClearState; change the state only through the pointer
// returned in the current call, since the call to State is what makes the
// state hold the current element's contribution (see Process).
func (c *KeyedContext[K, S, O]) State() *S {
	r, ok := c.op.state[c.key]
	if !ok {
		r = &keyState[S]{from: c.from}
		c.op.state[c.key] = r
	} else if c.from < r.from {
		r.from = c.from
	} else {
		c.from = r.from
	}
	return &r.s
}

// HasState reports whether the key has state. When it has, the rest of the
// call is taken to depend on it: the timers it sets and what it emits hold
// back checkpoints as far as the state does (see Process); the state itself
// is not changed.
func (c *KeyedContext[K, S, O]) HasState() bool {
	r, ok := c.op.state[c.key]
	if ok && r.from < c.from {
		c.from = r.from // what the call does next may depend on the state
	}
	return ok
}

// ClearState drops the key's state, and with it the state's hold on the
// checkpoints' retention (see Process). Timers are not affected.
func (c *KeyedContext[K, S, O]) ClearState() { delete(c.op.state, c.key) }

// SetEventTimer asks for a call of the timer function for this key when the
// watermark reaches t. Setting the same (key, t) twice fires once. A t at or
// below the current watermark fires at the next watermark advance. Until it
// fires or is deleted, the timer holds the checkpoints' retention like state
// (see Process).
func (c *KeyedContext[K, S, O]) SetEventTimer(t int64) { c.op.event.addFrom(c.key, t, c.from) }

// DeleteEventTimer cancels a timer set with SetEventTimer; unknown timers are
// ignored.
func (c *KeyedContext[K, S, O]) DeleteEventTimer(t int64) { c.op.event.remove(c.key, t) }

// SetProcessingTimer asks for a call of the timer function for this key when
// the wall clock reaches t (Unix nanoseconds), checked every tick interval.
func (c *KeyedContext[K, S, O]) SetProcessingTimer(t int64) { c.op.proc.addFrom(c.key, t, c.from) }

// DeleteProcessingTimer cancels a processing-time timer.
func (c *KeyedContext[K, S, O]) DeleteProcessingTimer(t int64) { c.op.proc.remove(c.key, t) }

// Emit emits o at Time().
func (c *KeyedContext[K, S, O]) Emit(o O) { c.EmitAt(o, c.ts) }

// EmitAt emits o at event time ts.
func (c *KeyedContext[K, S, O]) EmitAt(o O, ts int64) {
	if ts > c.from && c.op.delay >= 0 {
		c.op.noteDelay(ts, c.from)
	}
	c.op.c.Out.EmitAt(o, ts)
}

// Reject applies the stage's error policy to the element being processed
// (see OpContext.Reject). In a timer call there is no element: value is nil.
func (c *KeyedContext[K, S, O]) Reject(err error) { c.reject(err) }

// CountLate adds n to the stage's Late metric.
func (c *KeyedContext[K, S, O]) CountLate(n int) { c.op.c.CountLate(n) }

// Process adds a low-level keyed stage: onElement is called for every
// element with the element's key, state and timers; onTimer (may be nil if no
// timers are set) when a timer fires. State is per key, of type S, and lives
// in the instance that owns the key, so it needs no locks. Timers fire in time
// order; event timers when the watermark passes them (all remaining ones at
// the end of bounded input), processing timers on the pipeline's ticks.
//
// Use it for what the built-ins do not cover. Elements arrive in stream order,
// late ones included: compare Time with Watermark to tell.
//
// # Checkpoints
//
// The runtime cannot see inside S, so a Process stage holds back the
// checkpoints' retention (see Retainer) conservatively: a key's state is
// taken to hold the contribution of every element, and of every timer
// firing, whose call used it (called State, or HasState while it existed)
// since the state was created, until ClearState drops it. A pending timer,
// event or processing time, holds the contribution of the calls that set it
// until it fires or is deleted, whether or not the key has state. A call
// that only emits holds nothing. The stage reports as RetainedFrom the
// lowest event time held by any state or timer, and sources commit only
// input older than that.
//
// So release what is done: a key whose state is never cleared holds the
// retention at the time of its first element for as long as the pipeline
// runs, and sources stop committing from there (after a restart, the input
// is replayed from there). When a key's result has been emitted, call
// ClearState and delete the timers it no longer needs; a Process that only
// emits, or whose every key clears its state and lets its timers fire,
// holds nothing back. The same holds for the final checkpoint: state left
// when Run ends is still held.
//
// An element emitted after the call used the state may derive from any
// element the state holds, and an element emitted by a timer, or by EmitAt,
// may be stamped later than its inputs: the stage's OutputDelay is the
// largest such gap seen so far (0 while every call emits at its element's
// Time() without having used the state first), so that a stateful stage
// downstream holds back the retention far enough.
func Process[K comparable, T, S, O any](ks KeyedStream[K, T], onElement func(c *KeyedContext[K, S, O], v T), onTimer func(c *KeyedContext[K, S, O], t Timer), opts ...StageOption) Stream[O] {
	if onElement == nil {
		pipelineOf(ks.n, "Process").errorf("Process after %q: nil element function", ks.n.meta.name)
	}
	return ApplyKeyed(ks, "process", func(c *OpContext[O]) Operator[T] {
		op := &processOp[K, any, S, O]{c: c, state: map[K]*keyState[S]{}, event: newTimerHeap[K](), proc: newTimerHeap[K]()}
		return &processAdapter[K, T, S, O]{op: op, key: ks.key, onElement: onElement, onTimer: onTimer}
	}, opts...)
}

// processOp holds the state shared by all keys of one Process instance. Its
// element type parameter is erased (any) so KeyedContext need not carry T.
type processOp[K comparable, T, S, O any] struct {
	c     *OpContext[O]
	state map[K]*keyState[S]
	event *timerHeap[K]
	proc  *timerHeap[K]
	// delay is the largest gap seen between an output's time and the
	// lowest input time it may derive from (OutputDelay); < 0: unbounded.
	delay int64
}

// keyState is a key's state and the lowest event time of the inputs whose
// contribution it holds.
type keyState[S any] struct {
	s    S
	from int64
}

// noteDelay records an output at ts that may derive from input at from < ts.
func (op *processOp[K, T, S, O]) noteDelay(ts, from int64) {
	if d := ts - from; d < 0 { // overflow
		op.delay = -1
	} else if d > op.delay {
		op.delay = d
	}
}

type processAdapter[K comparable, T, S, O any] struct {
	op        *processOp[K, any, S, O]
	key       func(T) K
	onElement func(*KeyedContext[K, S, O], T)
	onTimer   func(*KeyedContext[K, S, O], Timer)
	kc        KeyedContext[K, S, O]
	cur       *T
}

func (a *processAdapter[K, T, S, O]) ProcessBatch(b []Event[T]) {
	a.kc.op = a.op
	if a.kc.reject == nil {
		a.kc.reject = func(err error) {
			var v any
			if a.cur != nil {
				v = *a.cur
			}
			a.op.c.Reject(a.kc.ts, v, nil, err)
		}
	}
	for i := range b {
		a.kc.key, a.kc.ts, a.kc.from, a.cur = a.key(b[i].Value), b[i].Time, b[i].Time, &b[i].Value
		a.onElement(&a.kc, b[i].Value)
	}
	var zero K
	a.kc.key, a.cur = zero, nil
}

func (a *processAdapter[K, T, S, O]) fire(h *timerHeap[K], kind TimerKind, upTo int64) {
	a.kc.op = a.op
	for {
		k, t, from, ok := h.popFrom(upTo)
		if !ok {
			return
		}
		if a.onTimer != nil {
			a.kc.key, a.kc.ts, a.kc.from, a.cur = k, t, from, nil
			a.onTimer(&a.kc, Timer{Kind: kind, Time: t})
		}
	}
}

func (a *processAdapter[K, T, S, O]) OnWatermark(wm int64) { a.fire(a.op.event, EventTimer, wm) }

func (a *processAdapter[K, T, S, O]) OnProcessingTime(now int64) {
	a.fire(a.op.proc, ProcessingTimer, now)
}

func (a *processAdapter[K, T, S, O]) OnEnd() {}

// RetainedFrom returns the lowest event time held by a key's state or a
// pending timer (see Process), or MaxTime. It scans every key and timer:
// it is called once per checkpoint.
func (a *processAdapter[K, T, S, O]) RetainedFrom() int64 {
	from := MaxTime
	for _, r := range a.op.state {
		from = min(from, r.from)
	}
	return min(from, a.op.event.retainedFrom(), a.op.proc.retainedFrom())
}

// OutputDelay returns the largest gap seen so far between an output's time
// and the lowest time of an input it may derive from (see Process); -1 if
// it overflowed.
func (a *processAdapter[K, T, S, O]) OutputDelay() int64 { return a.op.delay }

var _ Retainer = (*processAdapter[int, int, int, int])(nil)

// timerHeap is a min-heap of (time, key) timers with set semantics: a timer
// is unique per (key, time); removal is lazy (a removed timer is skipped when
// popped). set maps each live timer to the lowest input event time whose
// contribution it holds.
type timerHeap[K comparable] struct {
	h   timerSlice[K]
	set map[timerKey[K]]int64
}

type timerKey[K comparable] struct {
	key K
	t   int64
}

type timerSlice[K comparable] []timerKey[K]

func (s timerSlice[K]) Len() int           { return len(s) }
func (s timerSlice[K]) Less(i, j int) bool { return s[i].t < s[j].t }
func (s timerSlice[K]) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *timerSlice[K]) Push(x any)        { *s = append(*s, x.(timerKey[K])) }
func (s *timerSlice[K]) Pop() any {
	old := *s
	x := old[len(old)-1]
	*s = old[:len(old)-1]
	return x
}

func newTimerHeap[K comparable]() *timerHeap[K] {
	return &timerHeap[K]{set: map[timerKey[K]]int64{}}
}

// add sets timer (k, t), holding nothing (retainedFrom does not count it).
func (h *timerHeap[K]) add(k K, t int64) { h.addFrom(k, t, MaxTime) }

// addFrom sets timer (k, t), holding input from time from on; setting a
// live timer again lowers its from.
func (h *timerHeap[K]) addFrom(k K, t, from int64) {
	tk := timerKey[K]{k, t}
	if f, ok := h.set[tk]; ok {
		if from < f {
			h.set[tk] = from
		}
		return
	}
	h.set[tk] = from
	heap.Push(&h.h, tk)
}

func (h *timerHeap[K]) remove(k K, t int64) { delete(h.set, timerKey[K]{k, t}) }

// popUpTo pops the earliest live timer with time <= upTo.
func (h *timerHeap[K]) popUpTo(upTo int64) (K, int64, bool) {
	k, t, _, ok := h.popFrom(upTo)
	return k, t, ok
}

// popFrom pops the earliest live timer with time <= upTo: its key, time and
// the input time it held from.
func (h *timerHeap[K]) popFrom(upTo int64) (K, int64, int64, bool) {
	for len(h.h) > 0 && h.h[0].t <= upTo {
		tk := heap.Pop(&h.h).(timerKey[K])
		if from, ok := h.set[tk]; ok {
			delete(h.set, tk)
			return tk.key, tk.t, from, true
		}
	}
	var zero K
	return zero, 0, 0, false
}

// retainedFrom returns the lowest input time held by a live timer, or
// MaxTime.
func (h *timerHeap[K]) retainedFrom() int64 {
	from := MaxTime
	for _, f := range h.set {
		from = min(from, f)
	}
	return from
}

// Len returns the number of live timers.
func (h *timerHeap[K]) Len() int { return len(h.set) }
