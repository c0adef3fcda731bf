package join

import (
	"math/rand/v2"
	"testing"

	"github.com/weirhq/weir/stream"
)

// TestIntervalJoinMemoryBounded runs a long left outer interval join over
// many keys and checks that the retained state (buffered elements, keys,
// eviction index, recycled key states) stays bounded as the watermark
// advances, instead of growing with the input.
func TestIntervalJoinMemoryBounded(t *testing.T) {
	const (
		keys   = 20 // live at a time; the key range moves, so 20000 keys pass
		events = 400000
		step   = 10  // ns between consecutive events
		delay  = 500 // watermark delay behind the newest element
	)
	if testing.Short() {
		t.Skip("long")
	}
	r := rand.New(rand.NewPCG(1, 1))
	var outputs, unmatched int
	j := newIntervalJoin(-300, 200, true, func(k int) int { return k }, func(k int) int { return k },
		func(l int, r Opt[int]) int {
			if !r.Ok {
				unmatched++
			}
			return l
		})
	j.base = base[int]{emit: func(int, int64) { outputs++ }, late: func(n int) { t.Fatalf("late %d", n) }, wm: stream.MinTime}
	// Live elements span at most the interval (500) plus the watermark
	// delay, so about (500+delay+batch*step)/step elements, whatever the
	// number of events.
	const maxHeld = (500 + delay + 64*step) / step * 2
	var peakHeld, peakKeys, peakDue int
	batch := make([]stream.Event[int], 0, 64)
	for i := 0; i < events; {
		batch = batch[:0]
		for range 64 {
			ts := int64(i*step) + r.Int64N(delay/2) // disorder within the bound
			batch = append(batch, stream.Event[int]{Value: i/20 + r.IntN(keys), Time: ts})
			i++
		}
		if i%128 < 64 {
			j.ProcessLeft(batch)
		} else {
			j.ProcessRight(batch)
		}
		j.OnWatermark(int64(i*step) - delay)
		peakHeld = max(peakHeld, j.held)
		peakKeys = max(peakKeys, len(j.state))
		peakDue = max(peakDue, j.due.len())
	}
	if peakHeld > maxHeld || peakKeys > maxHeld || peakDue > 2*maxHeld || len(j.free) > maxFree {
		t.Fatalf("state grew: peak held %d, keys %d, index %d, free %d (bound %d)", peakHeld, peakKeys, peakDue, len(j.free), maxHeld)
	}
	j.OnWatermark(stream.MaxTime)
	if j.held != 0 || len(j.state) != 0 || j.due.len() != 0 {
		t.Fatalf("after the final watermark: held %d keys %d index %d", j.held, len(j.state), j.due.len())
	}
	if outputs == 0 || unmatched == 0 || outputs == unmatched {
		t.Fatalf("outputs %d unmatched %d", outputs, unmatched)
	}
	t.Logf("events %d outputs %d unmatched %d; peak held %d keys %d index %d", events, outputs, unmatched, peakHeld, peakKeys, peakDue)
}

// TestWindowAndTableMemoryBounded checks the same for the window join and
// the versioned table: buckets of closed windows and versions older than
// the retention are dropped.
func TestWindowAndTableMemoryBounded(t *testing.T) {
	const keys, events = 5000, 200000
	r := rand.New(rand.NewPCG(2, 2))
	w := newWindowJoin(Sliding(400, 100), FullOuter, func(k int) int { return k }, func(k int) int { return k }, func(l, r Opt[int]) int { return 0 })
	w.base = base[int]{emit: func(int, int64) {}, late: func(n int) { t.Fatalf("late %d", n) }, wm: stream.MinTime}
	tb := newTableJoin[int, int, int, int](tableConfig{versioned: true, retention: 300, until: stream.MaxTime}, func(k int) int { return k }, nil, func(int, Opt[int]) int { return 0 })
	tb.base = base[int]{emit: func(int, int64) {}, late: func(n int) { t.Fatalf("late %d", n) }, wm: stream.MinTime}
	tb.dropped = func(int) {}
	var peakBuckets, peakVersions, peakWait int
	ev := make([]stream.Event[int], 1)
	ch := make([]stream.Event[Change[int, int]], 1)
	for i := range events {
		ts := int64(i)
		ev[0] = stream.Event[int]{Value: r.IntN(keys), Time: ts}
		ch[0] = stream.Event[Change[int, int]]{Value: Upsert(r.IntN(50), i), Time: ts}
		w.ProcessLeft(ev)
		w.ProcessRight(ev)
		tb.ProcessLeft(ev)
		tb.ProcessRight(ch)
		if i%50 == 0 {
			w.OnWatermark(ts - 1)
			tb.OnWatermark(ts - 1)
			versions := 0
			for _, vl := range tb.vers {
				versions += len(vl.s)
			}
			peakBuckets = max(peakBuckets, w.open)
			peakVersions = max(peakVersions, versions)
			peakWait = max(peakWait, tb.wait.len())
		}
	}
	// Open windows hold at most (size/slide+1) windows' elements: about
	// 500 elements per side; the table about retention+50 versions plus
	// one per key.
	if peakBuckets > 2000 || w.held > 4000 || peakVersions > 50+300+100 || peakWait > 100 {
		t.Fatalf("state grew: buckets %d held %d versions %d waiting %d", peakBuckets, w.held, peakVersions, peakWait)
	}
	t.Logf("peak buckets %d versions %d waiting %d", peakBuckets, peakVersions, peakWait)
}
