package stream

import (
	"slices"
	"time"
)

// Dedupe drops repeats: an element is dropped when an element with the same
// key was kept less than horizon of event time before or after it (so
// disorder does not let a repeat through). An element that comes out of order
// more than horizon before one already kept is itself kept, and both then
// stand: a later element is checked against every kept element of its key.
// State is exact — the times of a key's kept elements — and each is forgotten
// once the watermark passes it plus horizon (the key with its last one), so
// memory holds the elements kept since the watermark minus horizon: it grows
// with how far the watermark lags behind the newest elements. Dropped repeats are counted as Dropped. horizon <= 0 keeps
// every element. A late element (at or before the watermark) is checked only
// against the kept elements not yet forgotten, so one whose key was already
// forgotten is kept.
//
// Options: Name (OnError makes the pipeline invalid: dropping a repeat is
// not a failure). For bounded memory regardless of key count, see
// DedupeApprox.
func Dedupe[K comparable, T any](ks KeyedStream[K, T], horizon time.Duration, opts ...StageOption) Stream[T] {
	key, h := ks.key, int64(horizon)
	return ApplyKeyed(ks, "dedupe", func(c *OpContext[T]) Operator[T] {
		return &dedupeOp[K, T]{c: c, key: key, horizon: h, seen: map[K]int64{}, more: map[K][]int64{}, expiry: newTimerHeap[K]()}
	}, append([]StageOption{takesOnly(optName)}, opts...)...)
}

// dedupeOp holds the times of each key's kept elements: the earliest in seen
// and, only for a key with several, the others in more, ascending (usually
// a key has one). Kept times of a key are at least horizon apart, so their
// expiries (time plus horizon) are distinct and the timer heap, a set of
// (key, time), holds one timer for each — except that expiries saturating at
// MaxTime share one timer, which is why forget drops every kept time
// expiring by the popped one.
type dedupeOp[K comparable, T any] struct {
	c       *OpContext[T]
	key     func(T) K
	horizon int64
	seen    map[K]int64
	more    map[K][]int64
	expiry  *timerHeap[K]
}

func (d *dedupeOp[K, T]) ProcessBatch(b []Event[T]) {
	if d.horizon <= 0 { // keeps everything
		d.c.Out.EmitBatch(b)
		return
	}
	dropped := 0
	for i := range b {
		k, ts := d.key(b[i].Value), b[i].Time
		if first, ok := d.seen[k]; !ok {
			d.seen[k] = ts
		} else if d.near(ts, first) {
			dropped++
			continue
		} else if !d.keepAnother(k, first, ts) {
			dropped++
			continue
		}
		d.expiry.add(k, satAdd(ts, d.horizon))
		d.c.Out.EmitAt(b[i].Value, ts)
	}
	d.c.CountDropped(dropped)
}

// near reports whether ts is less than horizon from kept, either way.
func (d *dedupeOp[K, T]) near(ts, kept int64) bool {
	return ts-kept < d.horizon && kept-ts < d.horizon
}

// keepAnother adds ts, not near first, the earliest kept time of k, to the
// kept times of k unless it is near one of the others; it reports whether
// it did. The kept times are sorted and at least horizon apart, so only the
// two around ts can be near it.
func (d *dedupeOp[K, T]) keepAnother(k K, first, ts int64) bool {
	var rest []int64
	if len(d.more) > 0 {
		rest = d.more[k]
	}
	i, _ := slices.BinarySearch(rest, ts)
	if i < len(rest) && d.near(ts, rest[i]) || i > 0 && d.near(ts, rest[i-1]) {
		return false
	}
	if ts < first { // ts becomes the earliest, first the earliest of the rest
		d.seen[k], ts, i = ts, first, 0
	}
	d.more[k] = slices.Insert(rest, i, ts)
	return true
}

func (d *dedupeOp[K, T]) OnWatermark(wm int64) {
	for {
		k, exp, ok := d.expiry.popUpTo(wm)
		if !ok {
			return
		}
		d.forget(k, exp)
	}
}

// forget drops the kept times of k whose expiry is at or before exp, and k
// itself when none is left.
func (d *dedupeOp[K, T]) forget(k K, exp int64) {
	first, ok := d.seen[k]
	if !ok || satAdd(first, d.horizon) > exp {
		return
	}
	rest, ok := d.more[k]
	if !ok {
		delete(d.seen, k)
		return
	}
	n := 0 // kept times in rest that expire too
	for n < len(rest) && satAdd(rest[n], d.horizon) <= exp {
		n++
	}
	if n == len(rest) {
		delete(d.seen, k)
	} else {
		d.seen[k] = rest[n]
		n++
		if n < len(rest) {
			d.more[k] = slices.Delete(rest, 0, n)
			return
		}
	}
	delete(d.more, k)
}

func (d *dedupeOp[K, T]) OnEnd() {}

// ApproxSeen is a bounded-memory, time-aware membership filter, such as
// sketch.RotatingBloom. TestAndAdd reports whether hash h was added within the
// filter's horizon (false positives possible at the filter's stated rate,
// false negatives never within the horizon) and adds it at event time t;
// Advance lets it drop generations older than the watermark minus horizon.
type ApproxSeen interface {
	TestAndAdd(h uint64, t int64) bool
	Advance(watermark int64)
}

// DedupeApprox drops repeats with bounded memory: newFilter makes one filter
// per parallel instance, hash maps a key to 64 bits (use a deterministic hash
// such as sketch.HashString, so the filter's state means the same after a
// restart). A first occurrence is wrongly dropped with the filter's false
// positive rate; a repeat within the filter's horizon is always dropped.
// Dropped elements are counted as Dropped. Options: Name (OnError makes the
// pipeline invalid, as for Dedupe).
func DedupeApprox[K comparable, T any](ks KeyedStream[K, T], newFilter func() ApproxSeen, hash func(K) uint64, opts ...StageOption) Stream[T] {
	key := ks.key
	if newFilter == nil || hash == nil {
		pipelineOf(ks.n, "DedupeApprox").errorf("DedupeApprox after %q: nil filter constructor or hash", ks.n.meta.name)
	}
	return ApplyKeyed(ks, "dedupe", func(c *OpContext[T]) Operator[T] {
		return &approxDedupeOp[K, T]{c: c, key: key, hash: hash, f: newFilter()}
	}, append([]StageOption{takesOnly(optName)}, opts...)...)
}

type approxDedupeOp[K comparable, T any] struct {
	c    *OpContext[T]
	key  func(T) K
	hash func(K) uint64
	f    ApproxSeen
}

func (d *approxDedupeOp[K, T]) ProcessBatch(b []Event[T]) {
	dropped := 0
	for i := range b {
		if d.f.TestAndAdd(d.hash(d.key(b[i].Value)), b[i].Time) {
			dropped++
			continue
		}
		d.c.Out.EmitAt(b[i].Value, b[i].Time)
	}
	d.c.CountDropped(dropped)
}

func (d *approxDedupeOp[K, T]) OnWatermark(wm int64) { d.f.Advance(wm) }
func (d *approxDedupeOp[K, T]) OnEnd()               {}

func satAdd(a, b int64) int64 {
	if b > 0 && a > MaxTime-b {
		return MaxTime
	}
	return a + b
}
