package stream

import "time"

// WatermarkStrategy makes the watermark generator of one source input. A
// watermark W promises that no element with time <= W is still expected;
// elements at or before it that do come are late.
type WatermarkStrategy interface {
	NewGenerator() WatermarkGenerator
}

// WatermarkGenerator tracks the watermark of one input (a source, or one Kafka
// partition). It is used by one goroutine. OnEvent is called for every element
// in arrival order; Watermark is asked after each batch and on each tick, and a
// value lower than one already returned is ignored (watermarks never go back).
type WatermarkGenerator interface {
	OnEvent(ts int64)
	Watermark() int64
}

// BoundedOutOfOrderness expects elements at most d out of order: the watermark
// is the largest time seen minus d minus 1ns, so an element exactly d older
// than the newest is still on time. d < 0 is treated as 0.
func BoundedOutOfOrderness(d time.Duration) WatermarkStrategy {
	return boundedStrategy(max(d, 0))
}

// Ascending expects elements in time order (BoundedOutOfOrderness(0)): any
// element older than the newest one seen is late. This is the default.
func Ascending() WatermarkStrategy { return boundedStrategy(0) }

// NoWatermarks generates no watermark from elements; only a bounded source's
// end (the final watermark) or explicit Emitter.Watermark calls advance it.
func NoWatermarks() WatermarkStrategy { return noWatermarks{} }

// WatermarkFunc makes a strategy from a generator constructor.
type WatermarkFunc func() WatermarkGenerator

// NewGenerator calls f.
func (f WatermarkFunc) NewGenerator() WatermarkGenerator { return f() }

type boundedStrategy time.Duration

func (b boundedStrategy) NewGenerator() WatermarkGenerator {
	return &BoundedGenerator{Bound: time.Duration(b), max: MinTime}
}

// BoundedGenerator is the generator of BoundedOutOfOrderness, exported so
// sources that track several inputs (partitions) can embed it by value.
type BoundedGenerator struct {
	Bound time.Duration
	max   int64
	init  bool
}

// OnEvent records ts.
func (g *BoundedGenerator) OnEvent(ts int64) {
	if !g.init || ts > g.max {
		g.max, g.init = ts, true
	}
}

// Watermark returns max - Bound - 1, or MinTime before the first event.
func (g *BoundedGenerator) Watermark() int64 {
	if !g.init {
		return MinTime
	}
	return g.max - int64(g.Bound) - 1
}

type noWatermarks struct{}

func (noWatermarks) NewGenerator() WatermarkGenerator { return noGen{} }

type noGen struct{}

func (noGen) OnEvent(int64)    {}
func (noGen) Watermark() int64 { return MinTime }

// wmMerge merges the watermarks of several inputs: the output is the minimum
// over inputs that are neither idle nor finished, and never goes back. An
// input is finished when it ended after the final watermark (MaxTime); one
// that ended without it (a cancelled run) holds the merge at its last
// watermark, so that the other inputs cannot fire windows and timers early,
// unless it was idle when it ended (an idle input holds nothing). When every
// input is idle or finished the merge is idle.
type wmMerge struct {
	wm    []int64
	idle  []bool
	ended []bool
	out   int64
	isIdl bool
}

func newWMMerge(n int) *wmMerge {
	m := &wmMerge{wm: make([]int64, n), idle: make([]bool, n), ended: make([]bool, n), out: MinTime}
	for i := range m.wm {
		m.wm[i] = MinTime
	}
	return m
}

// update recomputes the merged watermark; it returns (watermark, advanced,
// becameIdle).
func (m *wmMerge) update() (int64, bool, bool) {
	lo, any := MaxTime, false
	for i, w := range m.wm {
		if m.idle[i] || m.ended[i] && w == MaxTime {
			continue
		}
		any = true
		lo = min(lo, w)
	}
	if !any {
		// All idle or ended. If every input ended with the final watermark the
		// min is MaxTime and was already delivered as a watermark.
		became := !m.isIdl
		m.isIdl = true
		return m.out, false, became
	}
	m.isIdl = false
	if lo > m.out {
		m.out = lo
		return lo, true, false
	}
	return m.out, false, false
}

func (m *wmMerge) watermark(i int, w int64) (int64, bool, bool) {
	m.idle[i] = false
	if w > m.wm[i] {
		m.wm[i] = w
	}
	return m.update()
}

func (m *wmMerge) active(i int) (int64, bool, bool) {
	if !m.idle[i] {
		return m.out, false, false
	}
	m.idle[i] = false
	return m.update()
}

func (m *wmMerge) setIdle(i int) (int64, bool, bool) {
	m.idle[i] = true
	return m.update()
}

func (m *wmMerge) end(i int) (int64, bool, bool) {
	m.ended[i] = true
	return m.update()
}

// apply applies what a message of kind k from input i says of its
// watermark (wm for msgWatermark): a batch makes an idle input active.
// Barriers say nothing of it.
func (m *wmMerge) apply(k msgKind, i int, wm int64) (int64, bool, bool) {
	switch k {
	case msgBatch:
		return m.active(i)
	case msgWatermark:
		return m.watermark(i, wm)
	case msgIdle:
		return m.setIdle(i)
	case msgEnd:
		return m.end(i)
	}
	return m.out, false, false
}

func (m *wmMerge) allEnded() bool {
	for _, e := range m.ended {
		if !e {
			return false
		}
	}
	return true
}
