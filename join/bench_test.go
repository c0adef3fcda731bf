package join

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/weirhq/weir/stream"
)

// The benchmarks drive the operators directly (as the runtime does, in
// batches, with a watermark after each batch) so that they measure the join
// itself; b.N counts input events. Each has a hand-written baseline doing
// the same work for concrete types, without the operator's generality.

const benchBatch = 256

type benchOut struct {
	a, b int
}

// sinkBuf is a reused output buffer, reset after each batch like the
// runtime's collector.
type sinkBuf struct {
	buf []stream.Event[benchOut]
	n   int
}

func (s *sinkBuf) emit(v benchOut, ts int64) {
	s.buf = append(s.buf, stream.Event[benchOut]{Value: v, Time: ts})
}

func (s *sinkBuf) reset() {
	s.n += len(s.buf)
	s.buf = s.buf[:0]
}

func benchKeys(n, keys int) []int {
	r := rand.New(rand.NewPCG(7, 7))
	ks := make([]int, n)
	for i := range ks {
		ks[i] = r.IntN(keys)
	}
	return ks
}

// benchValue is the value of event i of the interval and window workloads,
// whose keys are drawn from keys (of a power-of-two length): the key in the
// high half, i in the low half (pipeKey reads the key back).
func benchValue(keys []int, i int) int { return keys[i&(len(keys)-1)]<<32 | i&0xffffffff }

func report(b *testing.B, outputs int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
	b.ReportMetric(float64(outputs)/float64(b.N), "out/event")
}

// Interval join: 1024 keys, one event every 10ns alternating sides, a
// right partner within [-20us, +20us] of a left element: about two matches
// per left element.
const (
	ivKeys  = 1024
	ivStep  = 10
	ivLower = -20000
	ivUpper = 20000
)

func BenchmarkIntervalJoin(b *testing.B) {
	keys := benchKeys(1<<16, ivKeys)
	out := &sinkBuf{buf: make([]stream.Event[benchOut], 0, 4*benchBatch)}
	j := newIntervalJoin(ivLower, ivUpper, false, func(v int) int { return v >> 32 }, func(v int) int { return v >> 32 },
		func(l int, r Opt[int]) benchOut { return benchOut{l, r.Value} })
	j.base = base[benchOut]{emit: out.emit, late: func(int) {}, wm: stream.MinTime}
	ls := make([]stream.Event[int], 0, benchBatch)
	rs := make([]stream.Event[int], 0, benchBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		ls, rs = ls[:0], rs[:0]
		for n := 0; n < benchBatch && i < b.N; n++ {
			e := stream.Event[int]{Value: benchValue(keys, i), Time: int64(i) * ivStep}
			if i&1 == 0 {
				ls = append(ls, e)
			} else {
				rs = append(rs, e)
			}
			i++
		}
		j.ProcessLeft(ls)
		j.ProcessRight(rs)
		j.OnWatermark(int64(i)*ivStep - 100)
		out.reset()
	}
	report(b, out.n)
}

// BenchmarkIntervalJoinBaseline is the same join written for these types:
// per key two time-ordered slices, a FIFO of expiries (the input is in
// order), no function values.
func BenchmarkIntervalJoinBaseline(b *testing.B) {
	type e struct {
		t int64
		v int
	}
	type st struct {
		l, r []e
	}
	type due struct {
		t int64
		k int
	}
	keys := benchKeys(1<<16, ivKeys)
	state := map[int]*st{}
	var fifo []due
	fh := 0
	out := &sinkBuf{buf: make([]stream.Event[benchOut], 0, 4*benchBatch)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		for n := 0; n < benchBatch && i < b.N; n++ {
			k, v, t := keys[i&(1<<16-1)], i, int64(i)*ivStep
			s := state[k]
			if s == nil {
				s = &st{}
				state[k] = s
			}
			if i&1 == 0 {
				for _, r := range s.r {
					if r.t >= t+ivLower && r.t <= t+ivUpper {
						out.emit(benchOut{v, r.v}, max(t, r.t))
					}
				}
				s.l = append(s.l, e{t, v})
				fifo = append(fifo, due{t + ivUpper, k})
			} else {
				for _, l := range s.l {
					if t >= l.t+ivLower && t <= l.t+ivUpper {
						out.emit(benchOut{l.v, v}, max(t, l.t))
					}
				}
				s.r = append(s.r, e{t, v})
				fifo = append(fifo, due{t - ivLower, k})
			}
			i++
		}
		wm := int64(i)*ivStep - 100
		for fh < len(fifo) && fifo[fh].t <= wm {
			s := state[fifo[fh].k]
			n := 0
			for n < len(s.l) && s.l[n].t+ivUpper <= wm {
				n++
			}
			s.l = s.l[:copy(s.l, s.l[n:])]
			n = 0
			for n < len(s.r) && s.r[n].t-ivLower <= wm {
				n++
			}
			s.r = s.r[:copy(s.r, s.r[n:])]
			fh++
		}
		if fh > 4096 && fh*2 > len(fifo) {
			fifo = fifo[:copy(fifo, fifo[fh:])]
			fh = 0
		}
		out.reset()
	}
	report(b, out.n)
}

// Window join: tumbling 40us windows, 1024 keys, one event every 10ns
// alternating sides: about two elements per side per key and window.
const (
	wjKeys = 1024
	wjSize = 40000
)

func BenchmarkWindowJoin(b *testing.B) {
	keys := benchKeys(1<<16, wjKeys)
	out := &sinkBuf{buf: make([]stream.Event[benchOut], 0, 16*benchBatch)}
	j := newWindowJoin(Tumbling(wjSize), Inner, func(v int) int { return v >> 32 }, func(v int) int { return v >> 32 },
		func(l, r Opt[int]) benchOut { return benchOut{l.Value, r.Value} })
	j.base = base[benchOut]{emit: out.emit, late: func(int) {}, wm: stream.MinTime}
	ls := make([]stream.Event[int], 0, benchBatch)
	rs := make([]stream.Event[int], 0, benchBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		ls, rs = ls[:0], rs[:0]
		for n := 0; n < benchBatch && i < b.N; n++ {
			e := stream.Event[int]{Value: benchValue(keys, i), Time: int64(i) * 10}
			if i&1 == 0 {
				ls = append(ls, e)
			} else {
				rs = append(rs, e)
			}
			i++
		}
		j.ProcessLeft(ls)
		j.ProcessRight(rs)
		j.OnWatermark(int64(i)*10 - 100)
		out.reset()
	}
	report(b, out.n)
}

// BenchmarkWindowJoinBaseline is the same join written for these types:
// buckets per (key, window) in a map, a FIFO of windows in creation order
// (the input is in order), recycled buckets.
func BenchmarkWindowJoinBaseline(b *testing.B) {
	type wk struct {
		k     int
		start int64
	}
	type bucket struct{ l, r []int }
	keys := benchKeys(1<<16, wjKeys)
	buckets := map[wk]*bucket{}
	var fifo []wk
	var free []*bucket
	fh := 0
	out := &sinkBuf{buf: make([]stream.Event[benchOut], 0, 16*benchBatch)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		for n := 0; n < benchBatch && i < b.N; n++ {
			k, v, t := keys[i&(1<<16-1)], i, int64(i)*10
			w := wk{k, t / wjSize * wjSize}
			bk := buckets[w]
			if bk == nil {
				if len(free) > 0 {
					bk = free[len(free)-1]
					free = free[:len(free)-1]
				} else {
					bk = &bucket{}
				}
				buckets[w] = bk
				fifo = append(fifo, w)
			}
			end := w.start + wjSize - 1
			if i&1 == 0 {
				for _, r := range bk.r {
					out.emit(benchOut{v, r}, end)
				}
				bk.l = append(bk.l, v)
			} else {
				for _, l := range bk.l {
					out.emit(benchOut{l, v}, end)
				}
				bk.r = append(bk.r, v)
			}
			i++
		}
		wm := int64(i)*10 - 100
		for fh < len(fifo) && fifo[fh].start+wjSize-1 <= wm {
			bk := buckets[fifo[fh]]
			delete(buckets, fifo[fh])
			bk.l, bk.r = bk.l[:0], bk.r[:0]
			free = append(free, bk)
			fh++
		}
		if fh > 4096 && fh*2 > len(fifo) {
			fifo = fifo[:copy(fifo, fifo[fh:])]
			fh = 0
		}
		out.reset()
	}
	report(b, out.n)
}

// Table join: a latest-value table of 1000 keys (in cache) or 100000 keys
// (lookups miss the cache); stream elements look up random keys (90%
// present) on arrival: the enrichment hot path.
var tjSizes = []int{1000, 100000}

type tjEvent struct {
	Key   int
	Price int
}

func tjInput(keys int) ([]stream.Event[tjEvent], []stream.Event[Change[int, int]]) {
	ks := benchKeys(1<<16, keys*10/9)
	evs := make([]stream.Event[tjEvent], len(ks))
	for i, k := range ks {
		evs[i] = stream.Event[tjEvent]{Value: tjEvent{k, i}, Time: int64(i)}
	}
	chs := make([]stream.Event[Change[int, int]], keys)
	for k := range chs {
		chs[k] = stream.Event[Change[int, int]]{Value: Upsert(k, k*3), Time: 0}
	}
	return evs, chs
}

func BenchmarkTableJoin(b *testing.B) {
	for _, keys := range tjSizes {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			evs, chs := tjInput(keys)
			out := &sinkBuf{buf: make([]stream.Event[benchOut], 0, benchBatch)}
			j := newTableJoin[int, tjEvent, int, benchOut](tableConfig{until: stream.MinTime}, func(e tjEvent) int { return e.Key },
				func(e tjEvent, campaign int) benchOut { return benchOut{e.Price, campaign} }, nil)
			j.base = base[benchOut]{emit: out.emit, late: func(int) {}, wm: stream.MinTime}
			j.dropped = func(int) {}
			j.ProcessRight(chs)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += benchBatch {
				lo := i & (len(evs) - 1)
				j.ProcessLeft(evs[lo : lo+min(benchBatch, b.N-i)])
				out.reset()
			}
			report(b, out.n)
		})
	}
}

// BenchmarkTableJoinBaseline is the same enrichment as a plain loop over a
// map.
func BenchmarkTableJoinBaseline(b *testing.B) {
	for _, keys := range tjSizes {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			evs, chs := tjInput(keys)
			table := make(map[int]int)
			for _, c := range chs {
				table[c.Value.Key] = c.Value.Value
			}
			out := &sinkBuf{buf: make([]stream.Event[benchOut], 0, benchBatch)}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += benchBatch {
				lo := i & (len(evs) - 1)
				for _, e := range evs[lo : lo+min(benchBatch, b.N-i)] {
					if v, ok := table[e.Value.Key]; ok {
						out.emit(benchOut{e.Value.Price, v}, e.Time)
					}
				}
				out.reset()
			}
			report(b, out.n)
		})
	}
}
