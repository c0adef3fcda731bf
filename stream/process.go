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
// stays valid until ClearState.
func (c *KeyedContext[K, S, O]) State() *S {
	s, ok := c.op.state[c.key]
	if !ok {
		s = new(S)
		c.op.state[c.key] = s
	}
	return s
}

// HasState reports whether the key has state.
func (c *KeyedContext[K, S, O]) HasState() bool {
	_, ok := c.op.state[c.key]
	return ok
}

// ClearState drops the key's state. Timers are not affected.
func (c *KeyedContext[K, S, O]) ClearState() { delete(c.op.state, c.key) }

// SetEventTimer asks for a call of the timer function for this key when the
// watermark reaches t. Setting the same (key, t) twice fires once. A t at or
// below the current watermark fires at the next watermark advance.
func (c *KeyedContext[K, S, O]) SetEventTimer(t int64) { c.op.event.add(c.key, t) }

// DeleteEventTimer cancels a timer set with SetEventTimer; unknown timers are
// ignored.
func (c *KeyedContext[K, S, O]) DeleteEventTimer(t int64) { c.op.event.remove(c.key, t) }

// SetProcessingTimer asks for a call of the timer function for this key when
// the wall clock reaches t (Unix nanoseconds), checked every tick interval.
func (c *KeyedContext[K, S, O]) SetProcessingTimer(t int64) { c.op.proc.add(c.key, t) }

// DeleteProcessingTimer cancels a processing-time timer.
func (c *KeyedContext[K, S, O]) DeleteProcessingTimer(t int64) { c.op.proc.remove(c.key, t) }

// Emit emits o at Time().
func (c *KeyedContext[K, S, O]) Emit(o O) { c.op.c.Out.EmitAt(o, c.ts) }

// EmitAt emits o at event time ts.
func (c *KeyedContext[K, S, O]) EmitAt(o O, ts int64) { c.op.c.Out.EmitAt(o, ts) }

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
func Process[K comparable, T, S, O any](ks KeyedStream[K, T], onElement func(c *KeyedContext[K, S, O], v T), onTimer func(c *KeyedContext[K, S, O], t Timer), opts ...StageOption) Stream[O] {
	if onElement == nil {
		ks.n.p.errorf("Process after %q: nil element function", ks.n.meta.name)
	}
	return ApplyKeyed(ks, "process", func(c *OpContext[O]) Operator[T] {
		op := &processOp[K, any, S, O]{c: c, state: map[K]*S{}, event: newTimerHeap[K](), proc: newTimerHeap[K]()}
		return &processAdapter[K, T, S, O]{op: op, key: ks.key, onElement: onElement, onTimer: onTimer}
	}, opts...)
}

// processOp holds the state shared by all keys of one Process instance. Its
// element type parameter is erased (any) so KeyedContext need not carry T.
type processOp[K comparable, T, S, O any] struct {
	c     *OpContext[O]
	state map[K]*S
	event *timerHeap[K]
	proc  *timerHeap[K]
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
		a.kc.key, a.kc.ts, a.cur = a.key(b[i].Value), b[i].Time, &b[i].Value
		a.onElement(&a.kc, b[i].Value)
	}
	var zero K
	a.kc.key, a.cur = zero, nil
}

func (a *processAdapter[K, T, S, O]) fire(h *timerHeap[K], kind TimerKind, upTo int64) {
	a.kc.op = a.op
	for {
		k, t, ok := h.popUpTo(upTo)
		if !ok {
			return
		}
		if a.onTimer != nil {
			a.kc.key, a.kc.ts, a.cur = k, t, nil
			a.onTimer(&a.kc, Timer{Kind: kind, Time: t})
		}
	}
}

func (a *processAdapter[K, T, S, O]) OnWatermark(wm int64) { a.fire(a.op.event, EventTimer, wm) }

func (a *processAdapter[K, T, S, O]) OnProcessingTime(now int64) {
	a.fire(a.op.proc, ProcessingTimer, now)
}

func (a *processAdapter[K, T, S, O]) OnEnd() {}

// timerHeap is a min-heap of (time, key) timers with set semantics: a timer
// is unique per (key, time); removal is lazy (a removed timer is skipped when
// popped).
type timerHeap[K comparable] struct {
	h   timerSlice[K]
	set map[timerKey[K]]struct{}
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
	return &timerHeap[K]{set: map[timerKey[K]]struct{}{}}
}

func (h *timerHeap[K]) add(k K, t int64) {
	tk := timerKey[K]{k, t}
	if _, ok := h.set[tk]; ok {
		return
	}
	h.set[tk] = struct{}{}
	heap.Push(&h.h, tk)
}

func (h *timerHeap[K]) remove(k K, t int64) { delete(h.set, timerKey[K]{k, t}) }

// popUpTo pops the earliest live timer with time <= upTo.
func (h *timerHeap[K]) popUpTo(upTo int64) (K, int64, bool) {
	for len(h.h) > 0 && h.h[0].t <= upTo {
		tk := heap.Pop(&h.h).(timerKey[K])
		if _, ok := h.set[tk]; ok {
			delete(h.set, tk)
			return tk.key, tk.t, true
		}
	}
	var zero K
	return zero, 0, false
}

// Len returns the number of live timers.
func (h *timerHeap[K]) Len() int { return len(h.set) }
