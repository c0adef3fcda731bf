package window

import (
	"math/bits"
	"reflect"

	"github.com/weirhq/weir/agg"
	"github.com/weirhq/weir/stream"
)

// ringEngine runs tumbling and sliding windows. Time is cut into panes of
// P = gcd(size, slide); window k is [off+k*S, off+k*S+Z) and covers panes
// [k*m, k*m+w) with m = S/P, w = Z/P. Each key keeps a ring of its panes
// (a slot in each column of cols, and its current pane in its record, see
// rkey), so an element costs one map lookup and one Add. Firings are global: when the watermark passes the end
// of the next window due, every active key is visited once (emit, purge);
// between window ends a watermark costs O(1).
//
// On-time firings of sliding windows (w > 1) do not merge all w panes: each
// key keeps a two-stacks sliding aggregation (see fireShared), so a firing
// costs amortised O(m) merges per key, independent of size/slide.
type ringEngine[K comparable, T, A, R any] struct {
	core[K, T, A, R]
	P, S, Z, off int64
	m, w         int64
	share        bool // two-stacks on-time firings (w > 1, not keepsAll)
	// sub: with share, the aggregator can subtract, so each key slides one
	// aggregate instead (see slideState)
	sub agg.Subtractor[A]
	// lazy: a dropped pane is emptied (Reset) only when the ring reuses its
	// slot, so a firing does not touch it; not for Process (its lists would
	// keep elements reachable) nor aggregators without Reset.
	lazy bool
	// plain: accumulators hold no pointers, so a stale one has no memory
	// worth reusing: retire and slot overwrite a slot (a store) rather
	// than swap or reset its content (a load, a miss when the key's slot
	// is not in cache).
	plain bool
	nj    int // windows starting in a run of w panes: ceil(w/m)

	// kE: every window k < kE has emitted (a lower bound, raised as learnt;
	// emitted(k) is monotone in k and in the watermark).
	kE int64

	keys   map[K]*rkey[K, A]
	active []*rkey[K, A]
	// Panes of dense keys live in columns: pane q of the key with id i is
	// cols[q&rmask][i] (unless it is the key's cur), so a firing, visiting
	// the keys in order, reads each column in order. A column is allocated
	// when first used; all have length ncap > every id. A key whose held
	// range outgrows the rmask+1 slots moves to a ring of its own.
	cols  [][]pane[A]
	rmask int64
	ncap  int
	nid   int // ids handed out (ids are reused with their rkey)
	// sfx[j][id]: the two-stacks suffix merges of sliding windows (nil
	// until the first on-time firing), see slideState.
	sfx [][]pane[A]
	// scratch of rebuildAll: keys with panes in the columns, keys with rings
	rb     []rbKey
	rbRing []*rkey[K, A]
	// no key's two-stacks state needs a rebuild before window start minF,
	// unless slDirty (some state was invalidated: a new key, a late element)
	minF    int64
	slDirty bool
	cold    []ckey[K, A] // by id
	aux     []akey       // by id
	free    []*rkey[K, A]
	dirty   []*rkey[K, A]
	next    int64 // end of the next window to emit; maxTime: none
	// purgeAt is a lower bound of the watermark at which some held pane can
	// be purged (maxTime: none): advance sweeps all keys when it passes.
	purgeAt int64

	// pane cache for the last element's pane, valid for cwm: its index,
	// bounds and state, the end of its first window not emitted (maxTime:
	// none) and the watermark that purges it
	cq, cLo, cHi  int64
	cState        uint8
	cwm           int64
	cNext, cPurge int64

	// results: fireSub's output, handed on in batches (resultBatch)
	results     []stream.Event[Result[K, R]]
	touched     int64 // keeps process's look-ahead loads alive
	scratch     A
	scratchInit bool
}

const (
	paneOpen  = iota // no window of the pane emitted yet
	paneFired        // some windows emitted, some still held
	paneLate         // every window purged: elements are late
)

type pane[A any] struct {
	acc       A
	has, init bool
}

// rkey is what an element needs of its key (a cache line for small
// accumulators); the rest is in ringEngine.cold[id] and aux[id].
//
// The pane a key receives elements for, while its windows are open, lives
// in the record itself (cur, pane curQ, when curOn): its elements then touch
// no other memory. A firing moves it to its slot (retire) once the
// watermark has passed it, swapping the slot's stale accumulator in, so the
// key's next pane can take its place.
type rkey[K comparable, A any] struct {
	base int64
	tsB  int64    // panes below tsB are merged in the two-stacks state
	ring *ring[A] // nil: panes in e.cols
	curQ int64
	n    int32 // panes base .. base+n-1 are held
	id   int32 // index in the columns (cols, sfx, cold, aux)
	// the slots of panes base+n .. base+n+cln-1 are known to be empty (a
	// firing empties them ahead of the key's next element)
	cln   int32
	curOn bool // pane curQ is cur, not in its slot
	cur   pane[A]
}

// ring holds the panes of a key that outgrew the columns.
type ring[A any] struct {
	head int       // index of pane base
	p    []pane[A] // length a power of two
}

// ckey is what a firing needs of a key besides its panes, in
// ringEngine.cold[id].
type ckey[K comparable, A any] struct {
	sl  slideState[A]
	key K
}

// akey is the rest of a key's state, in ringEngine.aux[id].
type akey struct {
	pos   int // index in active
	since int // elements since the last early firing
	dlo   int64
	dhi   int64
}

// maxCols bounds the number of pane columns (the panes a dense key may
// hold at once): keys holding more move to rings of their own.
const maxCols = 64

// slideState is a key's two-stacks aggregation for the on-time firings of
// sliding windows: with ok, sfx[j] (e.sfx[j][id]) holds the merge of panes
// [lo+j*m, f) (until the firing of the window starting there merges back
// into it) and back the merge of panes [f, rkey.tsB). A window [lo', hi')
// with lo <= lo' < f and hi' >= tsB is sfx[(lo'-lo)/m] merged with back
// extended to hi'. Changing a pane below tsB (an allowed-late element)
// clears ok.
//
// With an aggregator that can subtract (ringEngine.sub), there are no
// suffixes: with ok, back is the merge of panes [lo, rkey.tsB), n of which
// hold elements (back.has is n > 0). A firing of the window starting at lo
// merges the panes up to its end into back, emits it and subtracts the m
// panes leaving; any other state (a new key, a late element, a skipped
// window) is rebuilt by merging the window's panes afresh.
type slideState[A any] struct {
	ok    bool
	n     int32
	lo, f int64
	back  pane[A] // has: holds an element; init: acc came from Init
}

func newRing[K comparable, T, A, R any](a Assigner, c core[K, T, A, R]) *ringEngine[K, T, A, R] {
	e := &ringEngine[K, T, A, R]{core: c, S: a.slide, Z: a.size, keys: map[K]*rkey[K, A]{}, next: maxTime, purgeAt: maxTime}
	e.P = gcd(a.size, a.slide)
	e.off = a.off % a.slide
	if e.off < 0 {
		e.off += a.slide
	}
	e.m, e.w = e.S/e.P, e.Z/e.P
	e.share = e.w > 1 && !c.keepsAll
	if s, ok := c.ag.(agg.Subtractor[A]); ok && e.share {
		e.sub = s
		if c.col != nil {
			n := resultBatch
			if c.cfg.results > 0 {
				n = c.cfg.results
			}
			e.results = make([]stream.Event[Result[K, R]], 0, n)
		}
	}
	e.lazy = c.rs != nil && !c.keepsAll
	e.plain = pointerFree(reflect.TypeFor[A]())
	e.nj = int((e.w + e.m - 1) / e.m)
	e.kE = minTime
	e.cLo, e.cHi = 0, 0
	// room for the panes a key holds in the normal course: a window, the
	// panes up to the next firing, a pane of disorder and the lateness
	need := e.w + e.m + 2 + (e.L+e.P-1)/e.P
	if e.L > maxCols*e.P || need > maxCols {
		need = maxCols
	}
	nc := 1 << bits.Len(uint(need-1))
	e.cols = make([][]pane[A], nc)
	e.rmask = int64(nc - 1)
	return e
}

func (e *ringEngine[K, T, A, R]) start(k int64) int64 { return e.off + k*e.S }
func (e *ringEngine[K, T, A, R]) end(k int64) int64   { return e.off + k*e.S + e.Z }
func (e *ringEngine[K, T, A, R]) kLo(q int64) int64 {
	if e.m == 1 {
		return q - e.w + 1
	}
	return floorDiv(q-e.w, e.m) + 1
}
func (e *ringEngine[K, T, A, R]) kHi(q int64) int64 {
	if e.m == 1 {
		return q
	}
	return floorDiv(q, e.m)
}

// emitted reports whether window k has had its on-time (or, FinalOnly, its
// only) firing; purged whether its state is gone for good.
func (e *ringEngine[K, T, A, R]) emitted(k int64) bool { return satAdd(e.end(k)-1, e.D) <= e.wm }
func (e *ringEngine[K, T, A, R]) purged(k int64) bool  { return satAdd(e.end(k)-1, e.L) <= e.wm }

func (e *ringEngine[K, T, A, R]) at(r *rkey[K, A], q int64) *pane[A] {
	if q == r.curQ && r.curOn {
		return &r.cur
	}
	if r.ring == nil {
		return &e.cols[q&e.rmask][r.id]
	}
	return &r.ring.p[(r.ring.head+int(q-r.base))&(len(r.ring.p)-1)]
}

func (r *rkey[K, A]) holds(q int64) bool { return q >= r.base && q < r.base+int64(r.n) }

// room returns how many panes r may hold without moving or growing.
func (e *ringEngine[K, T, A, R]) room(r *rkey[K, A]) int {
	if r.ring == nil {
		return len(e.cols)
	}
	return len(r.ring.p)
}

// fit makes room for need panes in r.
func (e *ringEngine[K, T, A, R]) fit(r *rkey[K, A], need int) {
	if r.ring != nil {
		r.ring.grow(need)
		return
	}
	if need <= len(e.cols) {
		return
	}
	// move to a ring of its own
	e.retire(r)
	nr := make([]pane[A], 1<<bits.Len(uint(need-1)))
	for i := range int(r.n) {
		p := e.at(r, r.base+int64(i))
		nr[i] = *p
		*p = pane[A]{}
	}
	r.ring = &ring[A]{p: nr}
}

// retire moves r's pane cur to its slot, swapping in the slot's content
// (a stale accumulator, or an empty one if dropping is not lazy); with
// plain accumulators it leaves cur empty instead, without reading the slot.
func (e *ringEngine[K, T, A, R]) retire(r *rkey[K, A]) {
	if !r.curOn {
		return
	}
	r.curOn = false
	var p *pane[A]
	if r.ring == nil {
		p = &e.column(r.curQ)[r.id]
	} else {
		p = e.at(r, r.curQ)
	}
	if e.plain {
		*p, r.cur = r.cur, pane[A]{}
		return
	}
	*p, r.cur = r.cur, *p
}

// pointerFree reports whether values of type t hold no pointers.
func pointerFree(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return t.Len() == 0 || pointerFree(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !pointerFree(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// column returns the column of pane q, allocating it if need be.
func (e *ringEngine[K, T, A, R]) column(q int64) []pane[A] {
	c := &e.cols[q&e.rmask]
	if *c == nil {
		*c = make([]pane[A], e.ncap)
	}
	return *c
}

func (r *ring[A]) grow(need int) {
	c := 1 << bits.Len(uint(need-1))
	if c < 2 {
		c = 2
	}
	if c <= len(r.p) {
		return
	}
	nr := make([]pane[A], c)
	for i := range r.p {
		nr[i] = r.p[(r.head+i)&(len(r.p)-1)]
	}
	r.p, r.head = nr, 0
}

// slot returns pane q of r, extending the held range to include it (and
// emptying the panes that enter it, when dropping is lazy). A pane above
// the held ones takes cur (cur's pane, if any, goes to its slot).
func (e *ringEngine[K, T, A, R]) slot(r *rkey[K, A], q int64) *pane[A] {
	if top := r.base + int64(r.n); r.n == 0 || q >= top {
		if r.n == 0 {
			r.base, r.cln, top = q, 0, q
		}
		need := int(q-r.base) + 1
		if need > e.room(r) {
			e.fit(r, need)
		}
		e.retire(r)
		// the panes below q entering the range, unless known empty
		for x := top + int64(r.cln); x < q; x++ {
			if r.ring == nil {
				e.column(x)
			}
			if e.plain {
				*e.at(r, x) = pane[A]{}
			} else if e.lazy {
				e.clean(e.at(r, x))
			}
		}
		r.cln = int32(max(0, top+int64(r.cln)-(q+1)))
		r.n = int32(need)
		r.curQ, r.curOn = q, true
		if e.lazy {
			e.clean(&r.cur)
		}
		return &r.cur
	}
	// q < r.base: panes q .. base-1 enter
	lo, hi := q, r.base
	r.cln = 0 // the ring's slots shift
	d := int(r.base - q)
	e.fit(r, int(r.n)+d)
	if r.ring != nil {
		r.ring.head = (r.ring.head - d) & (len(r.ring.p) - 1)
	}
	r.base = q
	r.n += int32(d)
	for x := lo; x < hi; x++ {
		if r.ring == nil {
			e.column(x)
		}
		if e.lazy {
			e.clean(e.at(r, x))
		}
	}
	return e.at(r, q)
}

// clean empties pane p.
func (e *ringEngine[K, T, A, R]) clean(p *pane[A]) {
	if p.init {
		if e.rs != nil {
			e.rs.Reset(&p.acc)
		} else {
			var zero A
			p.acc, p.init = zero, false
		}
	}
	p.has = false
}

func (e *ringEngine[K, T, A, R]) paneState(q int64) uint8 {
	switch {
	case e.purged(e.kHi(q)):
		return paneLate
	case e.emitted(e.kLo(q)):
		return paneFired
	}
	return paneOpen
}

// lookAhead is how many elements process looks up before it updates
// them, once the engine holds lookAheadKeys keys or more (fewer keys stay
// in cache, where looking ahead only adds work: 48.9 against 45.8 ns an
// element in BenchmarkTumblingCountFewKeys).
const (
	lookAhead     = 16
	lookAheadKeys = 4096
)

func (e *ringEngine[K, T, A, R]) process(b []stream.Event[T]) {
	if len(e.keys) < e.cfg.aheadFrom() {
		e.processChunk(b, nil, nil)
		return
	}
	// The key lookups of a chunk are done first, then their records are
	// touched, then the elements are applied: the cache misses of a chunk
	// (the map, then the records) overlap instead of following one another.
	var (
		ks    [lookAhead]K
		rks   [lookAhead]*rkey[K, A]
		touch int64
	)
	for lo := 0; lo < len(b); lo += lookAhead {
		c := b[lo:min(lo+lookAhead, len(b))]
		for i := range c {
			ks[i] = e.keyOf(c[i].Value)
			rks[i] = e.keys[ks[i]]
		}
		for i := range c {
			if rk := rks[i]; rk != nil {
				touch += rk.base
			}
		}
		e.processChunk(c, &ks, &rks)
	}
	e.touched = touch
}

// processChunk applies the elements of b, of keys ks; rks holds their
// records as looked up before the chunk (nil: absent then). Without ks and
// rks it looks each key up itself.
func (e *ringEngine[K, T, A, R]) processChunk(b []stream.Event[T], ks *[lookAhead]K, rks *[lookAhead]*rkey[K, A]) {
	for i := range b {
		v, ts := b[i].Value, b[i].Time
		if ts < e.cLo || ts >= e.cHi || e.cwm != e.wm {
			e.cq = floorDiv(ts-e.off, e.P)
			e.cLo = e.off + e.cq*e.P
			e.cHi = e.cLo + e.P
			e.cState, e.cwm = e.paneState(e.cq), e.wm
			e.cNext = e.firstOpenEnd(e.cq)
			e.cPurge = satAdd(e.end(e.kHi(e.cq))-1, e.L)
		}
		if e.cState == paneLate {
			e.dropLate(v, ts)
			continue
		}
		q := e.cq
		var k K
		var rk *rkey[K, A]
		if rks != nil {
			k, rk = ks[i], rks[i]
		} else {
			k = e.keyOf(v)
		}
		if rk == nil {
			// not looked up, or absent before the chunk (an earlier
			// element of the chunk may have added it)
			if rk = e.keys[k]; rk == nil {
				rk = e.newKey(k)
			}
		}
		var p *pane[A]
		if rk.holds(q) {
			p = e.at(rk, q)
		} else if top := rk.base + int64(rk.n); q >= top && q <= top+int64(rk.cln) && rk.n > 0 && rk.ring == nil && q-rk.base < int64(len(e.cols)) {
			// a pane above the held ones whose slots up to it are known
			// empty, as with sliding windows: slot(rk, q), inline. cur,
			// unless a firing retired it already, goes to its slot.
			if rk.curOn {
				e.retire(rk)
			}
			rk.cln = int32(max(0, top+int64(rk.cln)-(q+1)))
			rk.n = int32(q - rk.base + 1)
			rk.curQ, rk.curOn = q, true
			p = &rk.cur
			if e.lazy && (p.init || p.has) {
				e.clean(p)
			}
		} else {
			p = e.slot(rk, q)
		}
		if !p.init {
			p.acc, p.init = e.ag.Init(), true
		}
		e.ag.Add(&p.acc, v, ts)
		if q < rk.tsB {
			e.cold[rk.id].sl.ok = false
			e.slDirty = true
		}
		if !p.has {
			p.has = true
			e.next = min(e.next, e.cNext)
			e.purgeAt = min(e.purgeAt, e.cPurge)
		}
		if e.cState == paneFired {
			e.lateUpdate(rk, q)
		}
		if e.early {
			e.touch(rk, q, v)
		}
	}
}

// firstOpenEnd returns the end of the first window of pane q not yet
// emitted, or maxTime.
func (e *ringEngine[K, T, A, R]) firstOpenEnd(q int64) int64 {
	k0, kh := max(e.kLo(q), e.kE), e.kHi(q)
	k := k0
	for ; k <= kh && e.emitted(k); k++ {
	}
	if k > k0 { // window k-1 has emitted, so have all before it
		e.kE = k
	}
	if k <= kh {
		return e.end(k)
	}
	return maxTime
}

// lateUpdate re-fires the emitted but not purged windows of pane q.
func (e *ringEngine[K, T, A, R]) lateUpdate(rk *rkey[K, A], q int64) {
	for k := e.kLo(q); k <= e.kHi(q); k++ {
		if e.emitted(k) && !e.purged(k) {
			e.emitWindow(rk, k, Late)
		}
	}
}

func (e *ringEngine[K, T, A, R]) touch(rk *rkey[K, A], q int64, v T) {
	c := &e.aux[rk.id]
	if c.since == 0 {
		c.dlo, c.dhi = q, q
		e.dirty = append(e.dirty, rk)
	} else {
		c.dlo, c.dhi = min(c.dlo, q), max(c.dhi, q)
	}
	c.since++
	if (e.cfg.earlyCount > 0 && c.since >= e.cfg.earlyCount) || (e.when != nil && e.when(v)) {
		e.fireEarly(rk)
	}
}

func (e *ringEngine[K, T, A, R]) fireEarly(rk *rkey[K, A]) {
	c := &e.aux[rk.id]
	if c.since == 0 {
		return
	}
	for k := e.kLo(c.dlo); k <= e.kHi(c.dhi); k++ {
		if !e.emitted(k) {
			e.emitWindow(rk, k, Early)
		}
	}
	c.since = 0
}

func (e *ringEngine[K, T, A, R]) earlyTick() {
	d := e.dirty
	for _, rk := range d {
		e.fireEarly(rk)
	}
	clear(d)
	e.dirty = d[:0]
}

func (e *ringEngine[K, T, A, R]) newKey(k K) *rkey[K, A] {
	var rk *rkey[K, A]
	if n := len(e.free); n > 0 {
		rk, e.free = e.free[n-1], e.free[:n-1]
	} else {
		rk = &rkey[K, A]{tsB: minTime, id: int32(e.nid)}
		e.nid++
		if e.nid > e.ncap {
			e.growCols()
		}
	}
	e.cold[rk.id].key = k
	e.aux[rk.id].pos = len(e.active)
	e.slDirty = true // its two-stacks state is not ok
	e.keys[k] = rk
	e.active = append(e.active, rk)
	return rk
}

// release drops an empty key (active[pos] == rk).
func (e *ringEngine[K, T, A, R]) release(rk *rkey[K, A]) {
	c, a := &e.cold[rk.id], &e.aux[rk.id]
	delete(e.keys, c.key)
	last := len(e.active) - 1
	e.active[a.pos] = e.active[last]
	e.aux[e.active[a.pos].id].pos = a.pos
	e.active[last] = nil
	e.active = e.active[:last]
	var zero K
	c.key, a.since, rk.n, rk.cln = zero, 0, 0, 0
	rk.tsB = minTime
	c.sl.ok = false
	e.free = append(e.free, rk)
}

// growCols makes room in the columns for ids up to e.nid.
func (e *ringEngine[K, T, A, R]) growCols() {
	e.ncap = max(16, 2*e.ncap)
	cold := make([]ckey[K, A], e.ncap)
	copy(cold, e.cold)
	aux := make([]akey, e.ncap)
	copy(aux, e.aux)
	e.cold, e.aux = cold, aux
	for _, cs := range [][][]pane[A]{e.cols, e.sfx} {
		for i, c := range cs {
			if c != nil {
				nc := make([]pane[A], e.ncap)
				copy(nc, c)
				cs[i] = nc
			}
		}
	}
}

// emitWindow emits window k of rk if it holds any element.
func (e *ringEngine[K, T, A, R]) emitWindow(rk *rkey[K, A], k int64, f Firing) {
	q0 := k * e.m
	if e.w == 1 {
		if !rk.holds(q0) {
			return
		}
		p := e.at(rk, q0)
		if !p.has {
			return
		}
		e.emit(e.cold[rk.id].key, e.start(k), e.end(k), &p.acc, f)
		if e.cfg.discarding {
			e.reset(&p.acc)
			p.has = false
		}
		return
	}
	lo, hi := max(q0, rk.base), min(q0+e.w, rk.base+int64(rk.n))
	found := false
	for q := lo; q < hi; q++ {
		p := e.at(rk, q)
		if !p.has {
			continue
		}
		if !found {
			if e.scratchInit {
				e.reset(&e.scratch)
			} else {
				e.scratch, e.scratchInit = e.ag.Init(), true
			}
			found = true
		}
		e.ag.Merge(&e.scratch, &p.acc)
	}
	if found {
		e.emit(e.cold[rk.id].key, e.start(k), e.end(k), &e.scratch, f)
	}
}

// mergeInto merges pane src (which holds an element) into dst, emptying
// dst first if it holds nothing (dst's accumulator is reset lazily).
func (e *ringEngine[K, T, A, R]) mergeInto(dst, src *pane[A]) {
	e.fresh(dst)
	e.ag.Merge(&dst.acc, &src.acc)
}

// fresh makes dst ready to take a merge: emptied if it holds nothing (its
// accumulator is reset lazily), then marked as holding something.
func (e *ringEngine[K, T, A, R]) fresh(dst *pane[A]) {
	if dst.has {
		return
	}
	if !dst.init {
		dst.acc, dst.init = e.ag.Init(), true
	} else {
		e.reset(&dst.acc)
	}
	dst.has = true
}

// mergePanes merges rk's panes [lo, hi) holding elements into dst, in
// order.
func (e *ringEngine[K, T, A, R]) mergePanes(dst *pane[A], rk *rkey[K, A], lo, hi int64) {
	for q := max(lo, rk.base); q < min(hi, rk.base+int64(rk.n)); q++ {
		if p := e.at(rk, q); p.has {
			e.mergeInto(dst, p)
		}
	}
}

// fireShared is the on-time firing of sliding window k for every active
// key, through the two-stacks aggregation, followed by what advance's loop
// does for each key after a firing (purge up to pane qmax if canPurge,
// release, retire, clean ahead); it returns the end of the next window due
// and the purgeAt bound, as that loop computes them. rebuildAll(k) must
// have run.
//
// Window k+1 drops the first m panes of window k and adds m: back absorbs
// the added panes, and when the window's start passes f the suffix merges
// are rebuilt over the current window (w + nj merges, once every nj
// firings, by rebuildAll). Merges keep the panes' order (Merge's dst is the
// earlier part), so only associativity is assumed, as when merging panes
// one by one. This runs for every key at every slide: what is the same for
// all keys is computed once, and the calls of the common case are inline.
func (e *ringEngine[K, T, A, R]) fireShared(k, qmax int64, canPurge bool) (nn, pa int64) {
	lo := k * e.m
	hi := lo + e.w
	qe := hi // panes below qe end by end(k)
	start, end := e.start(k), e.end(k)
	next := e.end(k + 1)
	ag, cold, sfx := e.ag, e.cold, e.sfx
	nj := int64(len(sfx))
	lastJ := int64(-1)
	var sj, sj1 []pane[A] // sfx[lastJ], sfx[lastJ+1] (nil: none)
	nn, pa = maxTime, maxTime
	minBase := int64(maxTime)
	for i := 0; i < len(e.active); {
		rk := e.active[i]
		id := rk.id
		c := &cold[id]
		sl := &c.sl
		back := &sl.back
		if q := rk.tsB; hi == q+1 {
			// one pane enters back
			rk.tsB = hi
			if rk.holds(q) {
				var p *pane[A]
				if rk.curOn && rk.curQ == q {
					p = &rk.cur
				} else {
					p = e.at(rk, q)
				}
				if p.has {
					if !back.has {
						e.fresh(back)
					}
					ag.Merge(&back.acc, &p.acc)
				}
			}
		} else if hi > q {
			e.mergePanes(back, rk, q, hi)
			rk.tsB = hi
		}
		j := lo - sl.lo
		if e.m != 1 {
			j /= e.m
		}
		if j != lastJ {
			lastJ, sj, sj1 = j, sfx[j], nil
			if j+1 < nj {
				sj1 = sfx[j+1]
			}
		}
		s := &sj[id]
		// window k+1 covers [lo+m, F), which is sfx[j+1], and back's panes
		more := back.has || (sj1 != nil && sj1[id].has)
		var acc *A
		switch {
		case s.has && back.has:
			// sfx[j] serves window k only (windows fire in order, and a
			// rebuild starts afresh), so it takes back's panes in place.
			ag.Merge(&s.acc, &back.acc)
			acc = &s.acc
		case s.has:
			acc = &s.acc
		case back.has:
			acc = &back.acc
		}
		if acc != nil {
			e.emit(c.key, start, end, acc, OnTime)
		}
		if !e.settle(rk, qe, qmax, canPurge) {
			continue // released
		}
		if !more {
			nn = min(nn, e.nextEnd(rk, k))
		} else {
			nn = min(nn, next)
		}
		minBase = min(minBase, rk.base)
		i++
	}
	if minBase != maxTime {
		// as the purgeAt sweep of advance computes it (this pass visits
		// every key), for the key with the lowest base: the bound is
		// monotone in the base
		pa = satAdd(e.end(e.kHi(minBase))-1, e.L)
	}
	return nn, pa
}

// settle does for key rk what follows the on-time firing of the window
// ending with pane qe-1 (fireShared, fireSub): purge up to pane qmax if
// canPurge, release the key if it holds nothing more (then it returns
// false), retire its cur if complete, and empty ahead the slot of pane
// qe-1 if the key had no element there.
func (e *ringEngine[K, T, A, R]) settle(rk *rkey[K, A], qe, qmax int64, canPurge bool) bool {
	if canPurge {
		// purgeTo(rk, qmax), inline for a dense key dropped lazily
		if rk.ring != nil || !e.lazy {
			e.purgeTo(rk, qmax)
		} else if d := qmax + 1 - rk.base; d > 0 && rk.n > 0 {
			d = min(d, int64(rk.n))
			if rk.curOn && rk.curQ >= rk.base && rk.curQ < rk.base+d {
				rk.curOn = false // cur is stale, like a dropped slot
			}
			rk.base += d
			rk.n -= int32(d)
		}
	}
	if rk.n == 0 {
		e.release(rk)
		return false
	}
	if rk.curOn && rk.curQ < qe {
		// complete: make room for the key's next pane
		if c := e.cols[rk.curQ&e.rmask]; c != nil && rk.ring == nil && e.plain {
			// e.retire(rk), inline
			c[rk.id], rk.cur, rk.curOn = rk.cur, pane[A]{}, false
		} else {
			e.retire(rk)
		}
	}
	if x := rk.base + int64(rk.n) + int64(rk.cln); x == qe-1 && qe-rk.base <= int64(e.room(rk)) {
		// The key had no element in pane qe-1: empty its slot now
		// (keys are visited in order), so that the key's next
		// element, likely in pane qe, takes cur without touching it.
		var p *pane[A]
		if rk.ring == nil {
			p = &e.column(x)[rk.id]
		} else {
			p = e.at(rk, x)
		}
		if e.plain {
			*p = pane[A]{} // a store, without reading the slot
		} else if e.lazy && (p.init || p.has) {
			e.clean(p)
		}
		rk.cln++
	}
	return true
}

// fireSub is fireShared for an aggregator that subtracts (e.sub; see
// slideState): for every active key, the panes entering window k are merged
// into back, back is emitted, and the panes leaving (those not in window
// k+1) are subtracted from it; then settle. A key whose state does not
// cover the window's start is rebuilt by merging the window's panes. It
// returns what fireShared does.
//
// The common case has a path of its own, inline: with m == 1, a dense key
// with plain accumulators dropped lazily whose state covers the window
// but for the one pane entering (cur, in its column, or not held) and
// whose cur, if any, is not leaving. Its leaving pane is then in its
// column, purging stops below cur, and settle is simpler. Other keys go
// through fireSubKey.
func (e *ringEngine[K, T, A, R]) fireSub(k, qmax int64, canPurge bool) (nn, pa int64) {
	lo := k * e.m
	hi := lo + e.w
	start, end := e.start(k), e.end(k)
	next := e.end(k + 1)
	var colLo []pane[A] // the column of the pane leaving (m == 1)
	if e.m == 1 {
		colLo = e.cols[lo&e.rmask]
	}
	fast := colLo != nil && e.lazy && e.plain
	var colCur []pane[A] // the column of pane hi-1, allocated on first use
	rb := e.results[:0]
	nn = maxTime
	minBase := int64(maxTime)
	for i := 0; i < len(e.active); {
		rk := e.active[i]
		c := &e.cold[rk.id]
		sl := &c.sl
		if !fast || !sl.ok || sl.lo != lo || rk.tsB != hi-1 || rk.ring != nil || (rk.curOn && rk.curQ <= lo) {
			e.results = rb
			kn, kept := e.fireSubKey(rk, c, k, qmax, canPurge)
			rb = e.results
			if !kept {
				continue // released
			}
			nn = min(nn, kn)
			minBase = min(minBase, rk.base)
			i++
			continue
		}
		// the pane entering: cur, in its column, or not held
		var p *pane[A]
		if q := hi - 1; rk.curOn && rk.curQ == q {
			p = &rk.cur
		} else if rk.holds(q) {
			p = &e.cols[q&e.rmask][rk.id]
		}
		if p != nil && p.has {
			// e.subEnter(sl, p), inline
			if !sl.back.has {
				e.fresh(&sl.back)
			}
			e.ag.Merge(&sl.back.acc, &p.acc)
			sl.n++
		}
		rk.tsB = hi
		if sl.n > 0 {
			// e.subEmit(c.key, start, end, &sl.back.acc), inline
			var v R
			if e.result != nil {
				v = e.result(c.key, start, end, &sl.back.acc)
			} else {
				v = e.ag.Result(&sl.back.acc)
			}
			if e.col != nil {
				if len(rb) == cap(rb) {
					e.col.EmitBatch(rb)
					rb = rb[:0]
				}
				rb = rb[:len(rb)+1]
				x := &rb[len(rb)-1]
				x.Time = end - 1
				x.Value.Key, x.Value.Start, x.Value.End, x.Value.Value, x.Value.Firing = c.key, start, end, v, OnTime
			} else {
				e.out(Result[K, R]{Key: c.key, Start: start, End: end, Value: v, Firing: OnTime}, end-1)
			}
		}
		// the pane leaving, in its column if held
		if lo >= rk.base && lo < rk.base+int64(rk.n) {
			if p := &colLo[rk.id]; p.has {
				e.sub.Subtract(&sl.back.acc, &p.acc)
				sl.n--
			}
		}
		sl.lo = lo + 1
		sl.back.has = sl.n > 0
		more := sl.back.has // window k+1 holds an element below hi
		// settle(rk, hi, qmax, canPurge), for this key: purging stops
		// below cur (qmax <= lo < curQ), and cur, if complete, is pane hi-1
		if d := qmax + 1 - rk.base; canPurge && d > 0 {
			d = min(d, int64(rk.n))
			rk.base += d
			rk.n -= int32(d)
		}
		if rk.n == 0 {
			e.release(rk)
			continue
		}
		if rk.curOn && rk.curQ == hi-1 {
			if colCur == nil {
				colCur = e.column(hi - 1)
			}
			colCur[rk.id], rk.cur, rk.curOn = rk.cur, pane[A]{}, false
		} else if rk.curOn && rk.curQ < hi {
			e.retire(rk) // (not expected: cur is at least pane hi-1)
		}
		if x := rk.base + int64(rk.n) + int64(rk.cln); x == hi-1 && hi-rk.base <= int64(len(e.cols)) {
			// no element in pane hi-1: empty its slot ahead (see settle)
			if colCur == nil {
				colCur = e.column(hi - 1)
			}
			colCur[rk.id] = pane[A]{}
			rk.cln++
		}
		if more {
			nn = min(nn, next)
		} else {
			nn = min(nn, e.nextEnd(rk, k))
		}
		minBase = min(minBase, rk.base)
		i++
	}
	if len(rb) > 0 {
		e.col.EmitBatch(rb)
	}
	e.results = rb[:0]
	pa = maxTime
	if minBase != maxTime {
		pa = satAdd(e.end(e.kHi(minBase))-1, e.L)
	}
	return nn, pa
}

// resultBatch is the size of the batches of on-time results fireSub
// hands on (a few dozen KB of results for small keys and values).
const resultBatch = 512

// fireSubKey is fireSub's general path for key rk (its cold state c): it
// returns the end of the key's next window due (see fireShared) and
// whether the key is kept (false: settle released it). Results go to
// e.results.
func (e *ringEngine[K, T, A, R]) fireSubKey(rk *rkey[K, A], c *ckey[K, A], k, qmax int64, canPurge bool) (int64, bool) {
	lo := k * e.m
	hi := lo + e.w
	sl := &c.sl
	if !sl.ok || sl.lo != lo || rk.tsB > hi {
		// rebuild: back takes the window's panes afresh
		sl.ok, sl.lo, sl.n, sl.back.has = true, lo, 0, false
		rk.tsB = lo
	}
	// the panes entering (not those of a gap between windows)
	for q := max(rk.tsB, lo); q < hi; q++ {
		if rk.holds(q) {
			if p := e.at(rk, q); p.has {
				e.subEnter(sl, p)
			}
		}
	}
	rk.tsB = hi
	if sl.n > 0 {
		e.subEmit(c.key, e.start(k), e.end(k), &sl.back.acc)
	}
	// the panes leaving: those of window k not in window k+1
	for q := max(lo, rk.base); q < min(lo+e.m, hi, rk.base+int64(rk.n)); q++ {
		if p := e.at(rk, q); p.has {
			e.sub.Subtract(&sl.back.acc, &p.acc)
			sl.n--
		}
	}
	sl.lo = lo + e.m
	sl.back.has = sl.n > 0
	more := sl.back.has // window k+1 holds an element below hi
	if !e.settle(rk, hi, qmax, canPurge) {
		return 0, false
	}
	if more {
		return e.end(k + 1), true
	}
	return e.nextEnd(rk, k), true
}

// subEmit emits the on-time result of window [start, end) of key k with
// accumulator acc through e.results (handed on in batches: a call of
// Collector.Append per result costs more).
func (e *ringEngine[K, T, A, R]) subEmit(k K, start, end int64, acc *A) {
	var v R
	if e.result != nil {
		v = e.result(k, start, end, acc)
	} else {
		v = e.ag.Result(acc)
	}
	if e.col == nil {
		e.out(Result[K, R]{Key: k, Start: start, End: end, Value: v, Firing: OnTime}, end-1)
		return
	}
	if len(e.results) == cap(e.results) {
		e.col.EmitBatch(e.results)
		e.results = e.results[:0]
	}
	e.results = append(e.results, stream.Event[Result[K, R]]{
		Value: Result[K, R]{Key: k, Start: start, End: end, Value: v, Firing: OnTime}, Time: end - 1})
}

// subEnter merges pane p, which holds an element, into sl.back.
func (e *ringEngine[K, T, A, R]) subEnter(sl *slideState[A], p *pane[A]) {
	if !sl.back.has {
		e.fresh(&sl.back)
	}
	e.ag.Merge(&sl.back.acc, &p.acc)
	sl.n++
}

// rebuildAll rebuilds, ahead of the on-time firing of window k, the
// two-stacks state of the keys whose state does not cover window k (see
// slideState): sfx[j] becomes the merge of panes [lo+j*m, hi), back empty.
// Keys in step rebuild at the same firings; doing it for all of them one
// suffix at a time (two when m == 1) reads each column (panes, suffixes)
// once, in order, instead of every column per key. The keys to rebuild are listed with
// their held panes in [lo, hi) (their cur retired first, so that those
// panes are in their slots), and the passes read that list, not the keys'
// records.
// merge2 makes s the merge of p and then n, those that are not nil (the
// panes holding elements); with neither, s holds nothing.
func (e *ringEngine[K, T, A, R]) merge2(s, p, n *pane[A]) {
	s.has = false
	if p == nil && n == nil {
		return
	}
	e.fresh(s)
	if p != nil {
		e.ag.Merge(&s.acc, &p.acc)
	}
	if n != nil {
		e.ag.Merge(&s.acc, &n.acc)
	}
}

func (e *ringEngine[K, T, A, R]) rebuildAll(k int64) {
	lo := k * e.m
	hi := lo + e.w
	if !e.slDirty && lo < e.minF {
		return // (sl.lo and tsB only grow with k, below lo and hi)
	}
	list, rings := e.rb[:0], e.rbRing[:0]
	minF := int64(maxTime)
	for _, rk := range e.active {
		sl := &e.cold[rk.id].sl
		if !sl.ok || lo < sl.lo || lo >= sl.f || hi < rk.tsB {
			sl.lo, sl.f, rk.tsB, sl.ok = lo, hi, hi, true
			sl.back.has = false
			if rk.ring != nil {
				rings = append(rings, rk)
			} else {
				if rk.curOn && rk.curQ < hi {
					e.retire(rk) // advance retires it after this firing anyway
				}
				list = append(list, rbKey{a: max(lo, rk.base), b: min(hi, rk.base+int64(rk.n)), id: rk.id})
			}
		}
		minF = min(minF, sl.f)
	}
	e.minF, e.slDirty = minF, false
	if len(list) == 0 && len(rings) == 0 {
		return
	}
	if e.sfx == nil {
		e.sfx = make([][]pane[A], e.nj)
		for j := range e.sfx {
			e.sfx[j] = make([]pane[A], e.ncap)
		}
	}
	m := e.m
	jm := e.nj - 1 // the passes below do the suffixes jm down to 0
	if m == 1 {
		// two suffixes per pass, j and j-1: the second takes the first
		// while it is at hand (as the m == 1 pass below, twice)
		for ; jm >= 1; jm -= 2 {
			a := lo + int64(jm)
			s1, s0 := e.sfx[jm], e.sfx[jm-1]
			c1, c0 := e.cols[a&e.rmask], e.cols[(a-1)&e.rmask]
			var nxt []pane[A]
			if jm+1 < e.nj {
				nxt = e.sfx[jm+1]
			}
			for _, x := range list {
				s := &s1[x.id]
				var p, n *pane[A]
				if x.a <= a && a < x.b && c1[x.id].has {
					p = &c1[x.id]
				}
				if nxt != nil && nxt[x.id].has {
					n = &nxt[x.id]
				}
				e.merge2(s, p, n)
				if s.has {
					n = s // the next suffix takes this one
				}
				s, p = &s0[x.id], nil
				if x.a <= a-1 && a-1 < x.b && c0[x.id].has {
					p = &c0[x.id]
				}
				e.merge2(s, p, n)
			}
			for _, rk := range rings {
				for j := jm; j >= jm-1; j-- {
					s := &e.sfx[j][rk.id]
					s.has = false
					e.mergePanes(s, rk, lo+int64(j), lo+int64(j)+1)
					if j+1 < e.nj {
						if n := &e.sfx[j+1][rk.id]; n.has {
							e.mergeInto(s, n)
						}
					}
				}
			}
		}
	}
	for j := jm; j >= 0; j-- {
		// for each key: as mergePanes(s, a, a+m) then mergeInto(s, sfx[j+1])
		sfx := e.sfx[j]
		var nxt []pane[A]
		if j+1 < e.nj {
			nxt = e.sfx[j+1]
		}
		a := lo + int64(j)*m
		b := min(a+m, hi)
		if m == 1 {
			// s = pane a merged with nxt, those that hold elements
			col := e.cols[a&e.rmask]
			for _, x := range list {
				s := &sfx[x.id]
				var p, n *pane[A]
				if x.a <= a && a < x.b && col[x.id].has {
					p = &col[x.id]
				}
				if nxt != nil && nxt[x.id].has {
					n = &nxt[x.id]
				}
				e.merge2(s, p, n)
			}
		} else {
			for _, x := range list {
				s := &sfx[x.id]
				s.has = false
				for q := max(a, x.a); q < min(b, x.b); q++ {
					if p := &e.cols[q&e.rmask][x.id]; p.has {
						e.mergeInto(s, p)
					}
				}
				if nxt != nil {
					if n := &nxt[x.id]; n.has {
						e.mergeInto(s, n)
					}
				}
			}
		}
		for _, rk := range rings {
			s := &sfx[rk.id]
			s.has = false
			e.mergePanes(s, rk, a, b)
			if nxt != nil {
				if n := &nxt[rk.id]; n.has {
					e.mergeInto(s, n)
				}
			}
		}
	}
	clear(rings)
	e.rb, e.rbRing = list[:0], rings[:0]
}

// rbKey is a key to rebuild in rebuildAll: its id, and its held panes
// [a, b) of the window (a >= b: none).
type rbKey struct {
	a, b int64
	id   int32
}

// purgeLimit returns the last pane that the firing of window k may purge:
// the panes whose windows are all purged and end at or before window k
// (ok false: none known, leave it to the purgeAt sweep).
func (e *ringEngine[K, T, A, R]) purgeLimit(k int64) (qmax int64, ok bool) {
	kx := k
	if !e.purged(k) {
		// window c ends at least L+S before window k, which has emitted
		// (end(k)-1+D <= wm), so it is purged; then step up.
		c := k - (e.L+e.S-1)/e.S - 1
		if c >= k || !e.purged(c) {
			return 0, false
		}
		for c+1 < k && e.purged(c+1) {
			c++
		}
		kx = c
	}
	return (kx+1)*e.m - 1, true
}

func (e *ringEngine[K, T, A, R]) advance(wm int64) {
	if wm <= e.wm {
		return
	}
	e.wm = wm
	for e.next != maxTime && satAdd(e.next-1, e.D) <= wm {
		E := e.next
		k := (E - e.off - e.Z) / e.S
		qmax, canPurge := e.purgeLimit(k)
		if e.share {
			if e.sub != nil {
				e.next, e.purgeAt = e.fireSub(k, qmax, canPurge)
			} else {
				e.rebuildAll(k)
				e.next, e.purgeAt = e.fireShared(k, qmax, canPurge)
			}
			e.kE = max(e.kE, k+1)
			continue
		}
		nn, pa := int64(maxTime), int64(maxTime)
		qe := k*e.m + e.w // panes below qe end by E
		for i := 0; i < len(e.active); {
			rk := e.active[i]
			e.emitWindow(rk, k, OnTime)
			if !e.settle(rk, qe, qmax, canPurge) {
				continue // released
			}
			nn = min(nn, e.nextEnd(rk, k))
			// as the purgeAt sweep below computes it: this pass visits every key
			pa = min(pa, satAdd(e.end(e.kHi(rk.base))-1, e.L))
			i++
		}
		e.kE = max(e.kE, k+1)
		e.next, e.purgeAt = nn, pa
	}
	if e.purgeAt <= wm {
		e.purgeAt = maxTime
		for i := 0; i < len(e.active); {
			rk := e.active[i]
			e.purge(rk, maxTime)
			if rk.n == 0 {
				e.release(rk)
				continue
			}
			if d := satAdd(e.end(e.kHi(rk.base))-1, e.L); d < e.purgeAt {
				e.purgeAt = d
			}
			i++
		}
	}
}

// purge drops rk's front panes whose windows have all been emitted (up to
// the window ending at E) and purged.
func (e *ringEngine[K, T, A, R]) purge(rk *rkey[K, A], E int64) {
	for rk.n > 0 {
		kh := e.kHi(rk.base)
		if e.end(kh) > E || !e.purged(kh) {
			return
		}
		e.drop(rk)
	}
}

// purgeTo drops rk's front panes up to pane qmax.
func (e *ringEngine[K, T, A, R]) purgeTo(rk *rkey[K, A], qmax int64) {
	for rk.n > 0 && rk.base <= qmax {
		e.drop(rk)
	}
}

// drop drops rk's front pane.
func (e *ringEngine[K, T, A, R]) drop(rk *rkey[K, A]) {
	if !e.lazy {
		e.clean(e.at(rk, rk.base))
	}
	if rk.curOn && rk.curQ == rk.base {
		rk.curOn = false // cur is stale, like a dropped slot
	}
	if rk.ring != nil {
		rk.ring.head = (rk.ring.head + 1) & (len(rk.ring.p) - 1)
	}
	rk.base++
	rk.n--
}

// nextEnd returns the end of rk's first window after window k holding an
// element, or maxTime.
func (e *ringEngine[K, T, A, R]) nextEnd(rk *rkey[K, A], k int64) int64 {
	// panes q with kHi(q) <= k, i.e. q < (k+1)*m, are in no later window
	for q := max(rk.base, (k+1)*e.m); q < rk.base+int64(rk.n); q++ {
		if e.at(rk, q).has {
			return e.end(max(e.kLo(q), k+1))
		}
	}
	return maxTime
}

func (e *ringEngine[K, T, A, R]) retainedFrom() int64 {
	r := int64(maxTime)
	for _, rk := range e.active {
		for q := rk.base; q < rk.base+int64(rk.n); q++ {
			if e.at(rk, q).has {
				r = min(r, e.off+q*e.P)
				break
			}
		}
	}
	return r
}

func (e *ringEngine[K, T, A, R]) outputDelay() int64 { return e.Z }
