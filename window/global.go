package window

import "github.com/weirhq/weir/stream"

// globalEngine runs the Global window: one accumulator per key, fired by
// early triggers and at the end of input.
type globalEngine[K comparable, T, A, R any] struct {
	core[K, T, A, R]
	keys  map[K]*gkey[K, A]
	order []*gkey[K, A] // keys in first-seen order, for deterministic output
	dirty []*gkey[K, A]
	done  bool
}

type gkey[K comparable, A any] struct {
	key   K
	acc   A
	has   bool
	since int
	minTs int64
}

func newGlobal[K comparable, T, A, R any](c core[K, T, A, R]) *globalEngine[K, T, A, R] {
	return &globalEngine[K, T, A, R]{core: c, keys: map[K]*gkey[K, A]{}}
}

func (e *globalEngine[K, T, A, R]) process(b []stream.Event[T]) {
	for i := range b {
		v, ts := b[i].Value, b[i].Time
		if e.done {
			e.dropLate(v, ts)
			continue
		}
		k := e.keyOf(v)
		g := e.keys[k]
		if g == nil {
			g = &gkey[K, A]{key: k, acc: e.ag.Init(), minTs: maxTime}
			e.keys[k] = g
			e.order = append(e.order, g)
		}
		e.ag.Add(&g.acc, v, ts)
		g.has = true
		g.minTs = min(g.minTs, ts)
		if e.early {
			if g.since == 0 {
				e.dirty = append(e.dirty, g)
			}
			g.since++
			if (e.cfg.earlyCount > 0 && g.since >= e.cfg.earlyCount) || (e.when != nil && e.when(v)) {
				e.fire(g, Early)
			}
		}
	}
}

func (e *globalEngine[K, T, A, R]) fire(g *gkey[K, A], f Firing) {
	g.since = 0
	if !g.has {
		return
	}
	e.emit(g.key, minTime, maxTime, &g.acc, f)
	if e.cfg.discarding {
		e.reset(&g.acc)
		g.has, g.minTs = false, maxTime
	}
}

func (e *globalEngine[K, T, A, R]) earlyTick() {
	for _, g := range e.dirty {
		if g.since > 0 {
			e.fire(g, Early)
		}
	}
	clear(e.dirty)
	e.dirty = e.dirty[:0]
}

func (e *globalEngine[K, T, A, R]) advance(wm int64) {
	if wm <= e.wm {
		return
	}
	e.wm = wm
	if wm < maxTime {
		return
	}
	for _, g := range e.order {
		e.fire(g, OnTime)
	}
	clear(e.keys)
	e.order, e.dirty, e.done = nil, nil, true
}

func (e *globalEngine[K, T, A, R]) retainedFrom() int64 {
	r := int64(maxTime)
	for _, g := range e.order {
		r = min(r, g.minTs)
	}
	return r
}

func (e *globalEngine[K, T, A, R]) outputDelay() int64 { return -1 }
