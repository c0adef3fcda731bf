package window

import (
	"container/heap"
	"slices"
	"time"

	"github.com/weirhq/weir/stream"
)

// sessionEngine runs session windows. Each key holds its sessions sorted by
// start; a coarse timer wheel (buckets of res ns, a heap of bucket ids)
// finds the keys with a session due when the watermark advances, so a
// watermark costs O(keys due) and an element one map lookup plus, when its
// session's deadline moves to another bucket, one append.
type sessionEngine[K comparable, T, A, R any] struct {
	core[K, T, A, R]
	gap   int64
	gapFn func(T) time.Duration
	res   int64

	keys    map[K]*skey[K, A]
	free    []*skey[K, A]
	dirty   []*skey[K, A]
	buckets map[int64][]sref[K, A]
	bheap   int64Heap
	spare   [][]sref[K, A]
	popped  []int64
	epoch   uint64 // advance count
	touched int64  // keeps process's look-ahead loads alive
}

type session[A any] struct {
	start, end int64
	acc        A
	emitted    bool   // a result for [start, end) is out
	fired      bool   // the on-time (or a late) firing of [start, end) is out
	dirty      bool   // changed since the last early firing
	has        bool   // acc holds an element (Discarding: since the last firing)
	tb         int64  // bucket the session's deadline is registered in
	tbEpoch    uint64 // advance during which tb was registered
}

type skey[K comparable, A any] struct {
	key   K
	s     []session[A]
	gen   uint32
	since int
}

// sref is a timer entry; stale when gen no longer matches.
type sref[K comparable, A any] struct {
	k   *skey[K, A]
	gen uint32
}

const noBucket = minTime

func newSessions[K comparable, T, A, R any](gap int64, gapFn func(T) time.Duration, c core[K, T, A, R]) *sessionEngine[K, T, A, R] {
	e := &sessionEngine[K, T, A, R]{core: c, gap: gap, gapFn: gapFn, keys: map[K]*skey[K, A]{}, buckets: map[int64][]sref[K, A]{}}
	e.res = max(gap/16, 1)
	if gapFn != nil {
		e.res = 0 // set from the first element's gap
	}
	return e
}

// deadline is the watermark at which s needs attention: its on-time firing,
// or its purge (with the FinalOnly emission).
func (e *sessionEngine[K, T, A, R]) deadline(s *session[A]) int64 {
	if e.D == 0 && s.end-1 > e.wm {
		return s.end - 1
	}
	return satAdd(s.end-1, e.L)
}

func (e *sessionEngine[K, T, A, R]) register(k *skey[K, A], s *session[A]) {
	b := floorDiv(e.deadline(s), e.res)
	if s.tb == b {
		return
	}
	s.tb, s.tbEpoch = b, e.epoch
	l, ok := e.buckets[b]
	if !ok {
		heap.Push(&e.bheap, b)
		if n := len(e.spare); n > 0 {
			l, e.spare = e.spare[n-1], e.spare[:n-1]
		}
	}
	e.buckets[b] = append(l, sref[K, A]{k, k.gen})
}

func (e *sessionEngine[K, T, A, R]) process(b []stream.Event[T]) {
	if len(e.keys) < e.cfg.aheadFrom() {
		e.processChunk(b, nil, nil)
		return
	}
	// As in ringEngine.process: the lookups and the first touch of a
	// chunk's key records and sessions are done ahead, so their cache
	// misses overlap.
	var (
		ks    [lookAhead]K
		sks   [lookAhead]*skey[K, A]
		touch int64
	)
	for lo := 0; lo < len(b); lo += lookAhead {
		c := b[lo:min(lo+lookAhead, len(b))]
		for i := range c {
			ks[i] = e.keyOf(c[i].Value)
			sks[i] = e.keys[ks[i]]
		}
		for i := range c {
			if sk := sks[i]; sk != nil && len(sk.s) > 0 {
				touch += sk.s[len(sk.s)-1].end
			}
		}
		e.processChunk(c, &ks, &sks)
	}
	e.touched = touch
}

// processChunk applies the elements of b, of keys ks; sks holds their
// records as looked up before the chunk (nil: absent then). Without ks and
// sks it looks each key up itself.
func (e *sessionEngine[K, T, A, R]) processChunk(b []stream.Event[T], ks *[lookAhead]K, sks *[lookAhead]*skey[K, A]) {
	for i := range b {
		v, ts := b[i].Value, b[i].Time
		g := e.gap
		if e.gapFn != nil {
			g = max(int64(e.gapFn(v)), 1)
			if e.res == 0 {
				e.res = max(g/16, 1)
			}
		}
		lo, hi := ts, satAdd(ts, g)
		var k K
		var sk *skey[K, A]
		if sks != nil {
			k, sk = ks[i], sks[i]
		} else {
			k = e.keyOf(v)
		}
		if sk == nil {
			// not looked up, or absent before the chunk (an earlier
			// element of the chunk may have added it)
			sk = e.keys[k]
		}
		var ss []session[A]
		if sk != nil {
			ss = sk.s
		}
		// sessions overlapping [lo, hi) are ss[i:j]
		j := len(ss)
		for j > 0 && ss[j-1].start >= hi {
			j--
		}
		x := j
		for x > 0 && ss[x-1].end > lo {
			x--
		}
		if x == j {
			if satAdd(hi-1, e.L) <= e.wm {
				e.dropLate(v, ts)
				continue
			}
			if sk == nil {
				sk = e.newKey(k)
			}
			sk.s = slices.Insert(sk.s, x, session[A]{start: lo, end: hi, acc: e.ag.Init(), tb: noBucket})
			e.add(sk, x, v, ts, hi-1 <= e.wm)
			continue
		}
		start, end := min(lo, ss[x].start), max(hi, ss[j-1].end)
		for y := x; y < j; y++ {
			s := &ss[y]
			if s.start != start || s.end != end {
				// discarding: the results out are deltas, still valid;
				// the merged session emits what arrived since
				if s.emitted && !e.cfg.discarding {
					e.retract(sk.key, s.start, s.end)
				}
				s.emitted, s.fired = false, false
			}
			if y > x {
				e.ag.Merge(&ss[x].acc, &s.acc)
				ss[x].dirty = ss[x].dirty || s.dirty
				ss[x].has = ss[x].has || s.has
			}
		}
		if j-x > 1 {
			sk.s = slices.Delete(ss, x+1, j)
		}
		sk.s[x].start, sk.s[x].end = start, end
		// a session whose end is still ahead of the watermark (perhaps
		// moved there by this element) fires on time later
		e.add(sk, x, v, ts, end-1 <= e.wm)
	}
}

// add adds v to session x of sk. fired says whether the session's end has
// been passed by the watermark: it then re-fires as Late.
func (e *sessionEngine[K, T, A, R]) add(sk *skey[K, A], x int, v T, ts int64, fired bool) {
	s := &sk.s[x]
	e.ag.Add(&s.acc, v, ts)
	s.has = true
	if fired && e.D == 0 {
		e.emit(sk.key, s.start, s.end, &s.acc, Late)
		s.emitted, s.fired = true, true
		if e.cfg.discarding {
			e.reset(&s.acc)
			s.has = false
		}
	}
	e.register(sk, s)
	if e.early {
		if sk.since == 0 {
			e.dirty = append(e.dirty, sk)
		}
		sk.since++
		s.dirty = true
		if (e.cfg.earlyCount > 0 && sk.since >= e.cfg.earlyCount) || (e.when != nil && e.when(v)) {
			e.fireEarly(sk)
		}
	}
}

func (e *sessionEngine[K, T, A, R]) fireEarly(sk *skey[K, A]) {
	for x := range sk.s {
		s := &sk.s[x]
		if s.dirty && s.end-1 > e.wm {
			e.emit(sk.key, s.start, s.end, &s.acc, Early)
			s.emitted = true
			if e.cfg.discarding {
				e.reset(&s.acc)
				s.has = false
			}
		}
		s.dirty = false
	}
	sk.since = 0
}

func (e *sessionEngine[K, T, A, R]) earlyTick() {
	for _, sk := range e.dirty {
		if sk.since > 0 {
			e.fireEarly(sk)
		}
	}
	clear(e.dirty)
	e.dirty = e.dirty[:0]
}

func (e *sessionEngine[K, T, A, R]) newKey(k K) *skey[K, A] {
	var sk *skey[K, A]
	if n := len(e.free); n > 0 {
		sk, e.free = e.free[n-1], e.free[:n-1]
	} else {
		sk = &skey[K, A]{}
	}
	sk.key = k
	e.keys[k] = sk
	return sk
}

func (e *sessionEngine[K, T, A, R]) release(sk *skey[K, A]) {
	delete(e.keys, sk.key)
	var zero K
	sk.key, sk.since = zero, 0
	sk.gen++
	e.free = append(e.free, sk)
}

func (e *sessionEngine[K, T, A, R]) advance(wm int64) {
	if wm <= e.wm {
		return
	}
	e.wm = wm
	if e.res == 0 {
		return // no element yet (dynamic gap)
	}
	e.epoch++
	// take the due buckets out first: re-registrations while firing go to
	// fresh buckets, processed at a later watermark
	e.popped = e.popped[:0]
	for len(e.bheap) > 0 && e.bheap[0] <= floorDiv(wm, e.res) {
		e.popped = append(e.popped, heap.Pop(&e.bheap).(int64))
	}
	for _, b := range e.popped {
		l := e.buckets[b]
		delete(e.buckets, b)
		for _, r := range l {
			if r.gen == r.k.gen {
				e.fireKey(r.k)
			}
		}
		clear(l)
		e.spare = append(e.spare, l[:0])
	}
}

// fireKey fires and purges the due sessions of sk and registers the rest.
func (e *sessionEngine[K, T, A, R]) fireKey(sk *skey[K, A]) {
	ss := sk.s
	keep := ss[:0]
	for x := range ss {
		s := ss[x]
		if e.D == 0 && !s.fired && s.end-1 <= e.wm {
			s.fired = true
			// discarding: nothing new since an early firing, nothing to emit
			if s.has {
				e.emit(sk.key, s.start, s.end, &s.acc, OnTime)
				s.emitted = true
				if e.cfg.discarding {
					e.reset(&s.acc)
					s.has = false
				}
			}
		}
		if satAdd(s.end-1, e.L) <= e.wm {
			if e.D > 0 {
				e.emit(sk.key, s.start, s.end, &s.acc, OnTime)
			}
			continue
		}
		if s.tb <= floorDiv(e.wm, e.res) && s.tbEpoch != e.epoch { // its bucket was taken
			s.tb = noBucket
		}
		keep = append(keep, s)
	}
	var zero session[A]
	for y := len(keep); y < len(ss); y++ {
		ss[y] = zero
	}
	sk.s = keep
	if len(keep) == 0 {
		e.release(sk)
		return
	}
	for x := range keep {
		e.register(sk, &keep[x])
	}
}

func (e *sessionEngine[K, T, A, R]) retainedFrom() int64 {
	r := int64(maxTime)
	for _, sk := range e.keys {
		if len(sk.s) > 0 {
			r = min(r, sk.s[0].start)
		}
	}
	return r
}

func (e *sessionEngine[K, T, A, R]) outputDelay() int64 { return -1 }

type int64Heap []int64

func (h int64Heap) Len() int           { return len(h) }
func (h int64Heap) Less(i, j int) bool { return h[i] < h[j] }
func (h int64Heap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *int64Heap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *int64Heap) Pop() any {
	o := *h
	x := o[len(o)-1]
	*h = o[:len(o)-1]
	return x
}
