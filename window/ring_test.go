package window

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/stream"
)

// TestSlidingShared: the two-stacks on-time firings of sliding windows emit
// exactly the results (values, firings, order) of merging every pane per
// firing, which Process keeps (keepsAll).
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
			var outs [2][]Result[string, ns]
			var outT [2][]int64
			var lates [2][]stream.Event[ev]
			for j, keepsAll := range []bool{false, true} {
				h, err := newHarnessKeep(a, keepsAll, c.opts...)
				if err != nil {
					t.Fatal(err)
				}
				if got := h.e.(*ringEngine[string, ev, ns, ns]).share; got == keepsAll {
					t.Fatalf("share %v with keepsAll %v", got, keepsAll)
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
			if !slices.Equal(outs[0], outs[1]) || !slices.Equal(outT[0], outT[1]) || !slices.Equal(lates[0], lates[1]) {
				t.Fatalf("%v %d opts seed %d: shared and merged results differ\nshared:\n%v\nmerged:\n%v", a, len(c.opts), seed, outs[0], outs[1])
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
