package stream

import "time"

// Dedupe drops repeats: an element is dropped when an element with the same
// key was kept less than horizon of event time before or after it (so
// disorder does not let a repeat through). State is exact — a map from key to
// the time of its kept element — and a key is forgotten once the watermark
// passes that time plus horizon, so memory is bounded by the keys seen within
// a horizon. Dropped repeats are counted as Dropped. horizon <= 0 keeps
// every element. A late element (at or before the watermark) whose key was
// already forgotten is kept.
//
// For bounded memory regardless of key count, see DedupeApprox.
func Dedupe[K comparable, T any](ks KeyedStream[K, T], horizon time.Duration, opts ...StageOption) Stream[T] {
	key, h := ks.key, int64(horizon)
	return ApplyKeyed(ks, "dedupe", func(c *OpContext[T]) Operator[T] {
		return &dedupeOp[K, T]{c: c, key: key, horizon: h, seen: map[K]int64{}, expiry: newTimerHeap[K]()}
	}, opts...)
}

type dedupeOp[K comparable, T any] struct {
	c       *OpContext[T]
	key     func(T) K
	horizon int64
	seen    map[K]int64
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
		kept, ok := d.seen[k]
		if ok && ts-kept < d.horizon && kept-ts < d.horizon {
			dropped++
			continue
		}
		if ok {
			d.expiry.remove(k, satAdd(kept, d.horizon))
		}
		d.seen[k] = ts
		d.expiry.add(k, satAdd(ts, d.horizon))
		d.c.Out.EmitAt(b[i].Value, ts)
	}
	d.c.CountDropped(dropped)
}

func (d *dedupeOp[K, T]) OnWatermark(wm int64) {
	for {
		k, _, ok := d.expiry.popUpTo(wm)
		if !ok {
			return
		}
		delete(d.seen, k)
	}
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
// Dropped elements are counted as Dropped.
func DedupeApprox[K comparable, T any](ks KeyedStream[K, T], newFilter func() ApproxSeen, hash func(K) uint64, opts ...StageOption) Stream[T] {
	key := ks.key
	if newFilter == nil || hash == nil {
		ks.n.p.errorf("DedupeApprox after %q: nil filter constructor or hash", ks.n.meta.name)
	}
	return ApplyKeyed(ks, "dedupe", func(c *OpContext[T]) Operator[T] {
		return &approxDedupeOp[K, T]{c: c, key: key, hash: hash, f: newFilter()}
	}, opts...)
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
