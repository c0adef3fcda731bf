package window

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/stream"
)

// FuzzAssign checks the assignment law: every element lands in exactly the
// windows that contain its time. For tumbling (with offsets) and sliding
// windows the windows are found by definition (every start st with st = off
// mod slide and st <= t < st+size, by brute force); for sessions, by
// sweeping the sorted elements (a session is a maximal union of overlapping
// [t, t+gap)). Each window's count and sum must be those of its elements;
// times may be negative. A slide larger than the size (windows with gaps) is
// not supported and must be rejected with ErrInvalid.
func FuzzAssign(f *testing.F) {
	f.Add(uint8(0), int64(10), int64(0), int64(0), int64(0), []byte{0, 3, 9, 1, 20, 0x80})
	f.Add(uint8(0), int64(7), int64(0), int64(-4), int64(-50), []byte{1, 2, 3, 0xf0, 7, 9})
	f.Add(uint8(0), int64(60), int64(0), int64(1<<40), int64(-1<<45), []byte{0, 0, 59, 1})
	f.Add(uint8(1), int64(10), int64(4), int64(0), int64(-3), []byte{1, 5, 0xfe, 4, 11, 2})
	f.Add(uint8(1), int64(12), int64(3), int64(5), int64(100), []byte{0, 1, 2, 3, 4, 5, 6, 7, 0xf8})
	f.Add(uint8(1), int64(60), int64(1), int64(-7), int64(-1000), []byte{30, 30, 30, 0x81, 90})
	f.Add(uint8(1), int64(9), int64(6), int64(2), int64(0), []byte{6, 6, 6, 6})
	f.Add(uint8(2), int64(5), int64(0), int64(0), int64(0), []byte{0, 4, 5, 20, 0xfc, 1})
	f.Add(uint8(2), int64(30), int64(0), int64(0), int64(-77), []byte{29, 30, 31, 0xe0, 100})
	f.Add(uint8(3), int64(5), int64(8), int64(0), int64(0), []byte{1})
	f.Fuzz(func(t *testing.T, kind uint8, size, slide, off, t0 int64, deltas []byte) {
		size = 1 + int64(uint64(size)%200)
		slide = 1 + int64(uint64(slide)%uint64(size))
		t0 %= 1 << 50
		off %= 1 << 50
		var a Assigner
		switch kind % 4 {
		case 0:
			slide = size
			a = Tumbling(time.Duration(size)).WithOffset(time.Duration(off))
		case 1:
			a = Sliding(time.Duration(size), time.Duration(slide)).WithOffset(time.Duration(off))
		case 2:
			a = Session(time.Duration(size))
		case 3:
			a = Sliding(time.Duration(size), time.Duration(size+slide))
			if _, err := newHarness(a); !errors.Is(err, ErrInvalid) {
				t.Fatalf("%v: got %v, want ErrInvalid", a, err)
			}
			return
		}
		if len(deltas) > 64 {
			deltas = deltas[:64]
		}
		var evs []stream.Event[ev]
		ts := t0
		for i, d := range deltas {
			ts += int64(int8(d))
			evs = append(evs, stream.Event[ev]{Value: ev{K: "k", V: int64(i + 1)}, Time: ts})
		}
		// both aggregators: sliding windows use two-stacks with sumAgg and
		// slide one aggregate per key with subAgg
		var hs [2]*harness
		for i, ag := range []Aggregator[ev, ns, ns]{sumAgg{}, subAgg{}} {
			h, err := newHarnessAgg(a, ag, false)
			if err != nil {
				t.Fatal(err)
			}
			h.e.process(evs)
			h.e.advance(maxTime)
			if h.nl != 0 || len(h.late) != 0 {
				t.Fatalf("%v: %d late elements with no watermark before", a, h.nl)
			}
			hs[i] = h
		}
		want := map[wkey]ns{}
		add := func(w wkey, e stream.Event[ev]) {
			x := want[w]
			x.N++
			x.Sum += e.Value.V
			want[w] = x
		}
		if kind%4 == 2 {
			sorted := slices.Clone(evs)
			slices.SortFunc(sorted, func(x, y stream.Event[ev]) int { return int(x.Time - y.Time) })
			for i := 0; i < len(sorted); {
				j, end := i+1, sorted[i].Time+size
				for j < len(sorted) && sorted[j].Time < end {
					end = max(end, sorted[j].Time+size)
					j++
				}
				for _, e := range sorted[i:j] {
					add(wkey{"k", sorted[i].Time, end}, e)
				}
				i = j
			}
		} else {
			for _, e := range evs {
				n := 0
				for st := e.Time - size + 1; st <= e.Time; st++ {
					if (st-off)%slide == 0 { // off mod slide, for negative values too
						add(wkey{"k", st, st + size}, e)
						n++
					}
				}
				if n != int(size/slide) && size%slide == 0 {
					t.Fatalf("%v: time %d in %d windows", a, e.Time, n)
				}
			}
		}
		for i, h := range hs {
			if g, w := fmtFinals(finals(h.out)), fmtFinals(want); g != w {
				t.Fatalf("%v (aggregator %d): elements %v\ngot:\n%s\nwant:\n%s", a, i, evs, g, w)
			}
		}
	})
}
