package join

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

// lateCapture collects what a join sends to its late side outputs.
type lateCapture struct{ l, r []string }

func (c *lateCapture) sides() lateSides[ev, ev] {
	return lateSides[ev, ev]{
		l: func(v ev, t int64) { c.l = append(c.l, fmt.Sprintf("%v@%d", v, t)) },
		r: func(v ev, t int64) { c.r = append(c.r, fmt.Sprintf("%v@%d", v, t)) },
	}
}

// lateSplit replays steps and splits each side's elements into those that
// arrive on time and those isLate calls late given the watermark then.
func lateSplit(steps []step, isLate func(t, wm int64) bool) (onL, onR []ev, lateL, lateR []string) {
	wm := stream.MinTime
	for _, s := range steps {
		switch {
		case s.isWM:
			wm = s.wm
		case isLate(s.e.T, wm) && s.left:
			lateL = append(lateL, fmt.Sprintf("%v@%d", s.e, s.e.T))
		case isLate(s.e.T, wm):
			lateR = append(lateR, fmt.Sprintf("%v@%d", s.e, s.e.T))
		case s.left:
			onL = append(onL, s.e)
		default:
			onR = append(onR, s.e)
		}
	}
	return
}

// lateSteps interleaves inputs generated with disorder bound but watermarks
// that allow only wmBound < bound of it, so that some elements are late.
func lateSteps(r *rand.Rand) []step {
	bound := 10 + r.Int64N(60)
	_, la := genInput(r, 1+r.IntN(150), 1+r.IntN(6), 1000, bound, 1)
	_, ra := genInput(r, 1+r.IntN(150), 1+r.IntN(6), 1000, bound, 2)
	return interleave(r, la, ra, r.Int64N(bound/2))
}

// TestIntervalJoinLateSides: with watermarks tighter than the disorder, the
// late side outputs hold exactly the elements at or before the watermark on
// arrival, the Late metric counts them, and the results are the oracle's
// join of the on-time elements alone.
func TestIntervalJoinLateSides(t *testing.T) {
	bounds := [][2]int64{{-10, 10}, {0, 30}, {-40, -5}, {0, 0}}
	sawLate := 0
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 7))
		steps := lateSteps(r)
		onL, onR, wantL, wantR := lateSplit(steps, func(t, wm int64) bool { return t <= wm })
		sawLate += len(wantL) + len(wantR)
		for _, b := range bounds {
			for _, outer := range []bool{false, true} {
				c, lc := &capture[pair]{}, &lateCapture{}
				j := newIntervalJoin(b[0], b[1], outer, ev.key, ev.key, func(l ev, r Opt[ev]) pair { return mkPair(Some(l), r) })
				j.base, j.sides = c.base(), lc.sides()
				drive(j, steps, id, id)
				name := fmt.Sprintf("seed %d %v outer=%v", seed, b, outer)
				if !slices.Equal(lc.l, wantL) || !slices.Equal(lc.r, wantR) {
					t.Fatalf("%s: late left %v right %v, want %v and %v", name, lc.l, lc.r, wantL, wantR)
				}
				if c.late != len(wantL)+len(wantR) {
					t.Fatalf("%s: Late counted %d, want %d", name, c.late, len(wantL)+len(wantR))
				}
				sameMultiset(t, strs(c.out), intervalOracle(b[0], b[1], outer, onL, onR))
			}
		}
	}
	t.Logf("%d late elements over all seeds", sawLate)
	if sawLate == 0 {
		t.Fatal("no late element was generated: the test checks nothing")
	}
}

// TestWindowJoinLateSides is TestIntervalJoinLateSides for window joins: an
// element is late when one of its windows had closed on arrival. With
// tumbling windows it then joins nowhere, so the results are the oracle's
// join of the on-time elements; with sliding ones only the late streams are
// checked (a partly late element still joins in its open windows).
func TestWindowJoinLateSides(t *testing.T) {
	sawLate := 0
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 8))
		steps := lateSteps(r)
		for _, wc := range windowCases {
			w := wc.w
			isLate := func(t, wm int64) bool {
				for s := w.lastStart(t-w.size) + w.slide; s <= t; s += w.slide {
					if s+w.size-1 <= wm {
						return true
					}
				}
				return false
			}
			onL, onR, wantL, wantR := lateSplit(steps, isLate)
			sawLate += len(wantL) + len(wantR)
			for _, kind := range kinds {
				c, lc := &capture[pair]{}, &lateCapture{}
				j := newWindowJoin(w, kind, ev.key, ev.key, mkPair)
				j.base, j.sides = c.base(), lc.sides()
				drive(j, steps, id, id)
				name := fmt.Sprintf("seed %d %s %v", seed, wc.name, kind)
				if !slices.Equal(lc.l, wantL) || !slices.Equal(lc.r, wantR) {
					t.Fatalf("%s: late left %v right %v, want %v and %v", name, lc.l, lc.r, wantL, wantR)
				}
				if c.late != len(wantL)+len(wantR) {
					t.Fatalf("%s: Late counted %d, want %d", name, c.late, len(wantL)+len(wantR))
				}
				if w.size == w.slide {
					sameMultiset(t, strs(c.out), windowOracle(w, kind, onL, onR))
				}
			}
		}
	}
	t.Logf("%d late elements over all seeds", sawLate)
	if sawLate == 0 {
		t.Fatal("no late element was generated: the test checks nothing")
	}
}

// TestLateStreamsPipeline runs IntervalLate and WindowLate in pipelines: the
// left input ends first (its watermark becomes MaxTime), so once the join's
// watermark has reached the right input's, a right element far behind it is
// late on both joins and reaches their right late streams; nothing is late
// on the left.
func TestLateStreamsPipeline(t *testing.T) {
	for _, kind := range []string{"interval", "window"} {
		t.Run(kind, func(t *testing.T) {
			p := stream.New(stream.WithBatchSize(4))
			lefts := []ev{{"a", 1, 100}, {"a", 2, 150}, {"b", 3, 160}}
			left := stream.KeyBy(stream.From(p, source.Slice(lefts), stream.EventTime(evTime)), ev.key)
			rightIn := make(chan ev)
			right := stream.KeyBy(stream.From(p, source.Chan(rightIn), stream.EventTime(evTime), stream.Name("right")), ev.key)
			var out stream.Stream[pair]
			var lateL, lateR stream.Stream[ev]
			both := func(l, r ev) pair { return mkPair(Some(l), Some(r)) }
			if kind == "interval" {
				out, lateL, lateR = IntervalLate(left, right, -20, 20, both, stream.Name("j"))
			} else {
				out, lateL, lateR = WindowLate(left, right, Tumbling(100), both, stream.Name("j"))
			}
			got, gotL, gotR := sink.Collect[pair](), sink.Collect[ev](), sink.Collect[ev]()
			stream.To(out, got)
			stream.To(lateL, gotL)
			stream.To(lateR, gotR)
			errc := make(chan error, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			go func() { errc <- p.Run(ctx) }()
			rightIn <- ev{"a", 10, 140}
			rightIn <- ev{"b", 11, 300}
			for {
				if m, ok := p.Stage("j"); ok && m.Watermark >= 299 {
					break
				}
				if ctx.Err() != nil {
					t.Fatal("the join's watermark never reached the right input's")
				}
				time.Sleep(time.Millisecond)
			}
			rightIn <- ev{"a", 12, 5} // behind the watermark: late
			close(rightIn)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if l, r := gotL.Events(), gotR.Events(); len(l) != 0 || len(r) != 1 || r[0].Value.N != 12 || r[0].Time != 5 {
				t.Fatalf("late left %v right %v, want only a/12@5 on the right", l, r)
			}
			if m, _ := p.Stage("j"); m.Late != 1 {
				t.Fatalf("Late %d, want 1", m.Late)
			}
			if m, ok := p.Stage("j.right"); !ok || m.Out != 1 {
				t.Fatalf("the late stream's stage: %+v (found %v), want Out 1", m, ok)
			}
			rights := []ev{{"a", 10, 140}, {"b", 11, 300}} // the on-time ones
			want := intervalOracle(-20, 20, false, lefts, rights)
			if kind == "window" {
				want = windowOracle(Tumbling(100), Inner, lefts, rights)
			}
			sameMultiset(t, strs(got.Events()), want)
		})
	}
}

func evTime(e ev) time.Time { return time.Unix(0, e.T) }
