package window

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/stream"
)

// TestSlidingShared: the on-time firings of sliding windows, through
// two-stacks or, for an aggregator that subtracts, through one sliding
// aggregate per key, emit exactly the results (values, firings, order) of
// merging every pane per firing, which Process keeps (keepsAll).
func TestSlidingShared(t *testing.T) {
	type cfg struct {
		size, slide, off int64
		opts             []Option
	}
	var cs []cfg
	for _, l := range []time.Duration{0, 7, 30} {
		for _, zs := range [][3]int64{{10, 1, 0}, {10, 4, 0}, {12, 3, 5}, {9, 6, -2}, {60, 1, 0}, {7, 2, 1}} {
			cs = append(cs,
				cfg{zs[0], zs[1], zs[2], []Option{AllowedLateness(l)}},
				cfg{zs[0], zs[1], zs[2], []Option{AllowedLateness(l), FinalOnly()}},
				cfg{zs[0], zs[1], zs[2], []Option{AllowedLateness(l), EarlyEveryCount(3)}})
		}
	}
	for i, c := range cs {
		a := Sliding(time.Duration(c.size), time.Duration(c.slide)).WithOffset(time.Duration(c.off))
		for seed := range 4 {
			r := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
			steps := genSteps(r, 400+r.IntN(400), 1+r.IntN(12), 1+r.Int64N(15))
			var outs [3][]Result[string, ns]
			var outT [3][]int64
			var lates [3][]stream.Event[ev]
			for j, mode := range []struct {
				ag       Aggregator[ev, ns, ns]
				keepsAll bool
			}{{sumAgg{}, false}, {subAgg{}, false}, {sumAgg{}, true}} {
				h, err := newHarnessAgg(a, mode.ag, mode.keepsAll, c.opts...)
				if err != nil {
					t.Fatal(err)
				}
				re := h.e.(*ringEngine[string, ev, ns, ns])
				if re.share == mode.keepsAll || (re.sub != nil) != (j == 1) {
					t.Fatalf("mode %d: share %v, sub %v", j, re.share, re.sub != nil)
				}
				var batch []stream.Event[ev]
				for _, s := range steps {
					if s.wm {
						h.e.process(batch)
						batch = batch[:0]
						h.e.advance(s.t)
						continue
					}
					batch = append(batch, stream.Event[ev]{Value: s.v, Time: s.t})
				}
				h.e.process(batch)
				h.e.advance(maxTime)
				outs[j], outT[j], lates[j] = h.out, h.outT, h.late
			}
			for j, name := range []string{"two-stacks", "subtracting"} {
				if !slices.Equal(outs[j], outs[2]) || !slices.Equal(outT[j], outT[2]) || !slices.Equal(lates[j], lates[2]) {
					t.Fatalf("%v %d opts seed %d: %s and merged results differ\n%s:\n%v\nmerged:\n%v", a, len(c.opts), seed, name, name, outs[j], outs[2])
				}
			}
		}
	}
}

// TestRingRetainedFrom: RetainedFrom is the start of the oldest pane
// holding an element, whether the pane is a key's current one (held in its
// record) or in its slot, as computed from the accepted elements.
func TestRingRetainedFrom(t *testing.T) {
	for _, a := range []Assigner{Tumbling(10), Sliding(10, 1), Sliding(12, 3).WithOffset(5), Sliding(60, 1)} {
		for _, l := range []time.Duration{0, 7, 30} {
			for seed := range 3 {
				r := rand.New(rand.NewPCG(uint64(seed), uint64(l)))
				h, err := newHarness(a, AllowedLateness(l))
				if err != nil {
					t.Fatal(err)
				}
				e := h.e.(*ringEngine[string, ev, ns, ns])
				var held []int64 // panes of the accepted elements
				for i, s := range genSteps(r, 600, 1+r.IntN(10), 1+r.Int64N(15)) {
					if !s.wm {
						q := floorDiv(s.t-e.off, e.P)
						if !e.purged(e.kHi(q)) {
							held = append(held, q)
						}
						e.process([]stream.Event[ev]{{Value: s.v, Time: s.t}})
						continue
					}
					e.advance(s.t)
					want := int64(maxTime)
					for _, q := range held {
						if !e.purged(e.kHi(q)) {
							want = min(want, e.off+q*e.P)
						}
					}
					if got := e.retainedFrom(); got != want {
						t.Fatalf("%v lateness %d seed %d step %d: retainedFrom %d, want %d", a, l, seed, i, got, want)
					}
				}
			}
		}
	}
}
