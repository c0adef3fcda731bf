package window

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/stream"
)

// genSteps makes a random arrival sequence: nKeys keys, times advancing,
// disorder within bound (never late), about 5% of elements beyond the bound
// (late or allowed-late depending on the lateness), and watermarks max-bound-1
// at random points.
func genSteps(r *rand.Rand, n, nKeys int, bound int64) []step {
	var steps []step
	var t, maxSeen int64 = 1000, 0
	for range n {
		t += r.Int64N(3)
		ts := t - r.Int64N(bound+1)
		if r.IntN(20) == 0 {
			ts = t - bound - 1 - r.Int64N(4*bound)
		}
		maxSeen = max(maxSeen, ts)
		steps = append(steps, step{t: ts, v: ev{K: fmt.Sprintf("k%d", r.IntN(nKeys)), V: 1 + r.Int64N(9)}})
		if r.IntN(8) == 0 {
			steps = append(steps, step{wm: true, t: maxSeen - bound - 1})
		}
	}
	return steps
}

// oracle computes the final result of every window and the late elements by
// definition: an element goes to each of its windows whose end-1+lateness
// is above the watermark at its arrival, and is late if there is none.
func oracleFixed(steps []step, size, slide, off, lateness int64) (map[wkey]ns, []stream.Event[ev]) {
	fin := map[wkey]ns{}
	var late []stream.Event[ev]
	wm := int64(stream.MinTime)
	for _, s := range steps {
		if s.wm {
			wm = max(wm, s.t)
			continue
		}
		in := false
		// every window start st = off + k*slide with st <= ts < st+size
		k := floorDiv(s.t-off, slide)
		for st := off + k*slide; st > s.t-size; st -= slide {
			if st+size-1+lateness > wm {
				w := wkey{s.v.K, st, st + size}
				x := fin[w]
				x.N++
				x.Sum += s.v.V
				fin[w] = x
				in = true
			}
		}
		if !in {
			late = append(late, stream.Event[ev]{Value: s.v, Time: s.t})
		}
	}
	return fin, late
}

// oracleSession simulates sessions naively: per key the accepted elements
// still held; sessions are recomputed from scratch (sort, sweep) at every
// step; a session is final once the watermark passes end-1+lateness.
func oracleSession(steps []step, gap func(ev) int64, lateness int64) (map[wkey]ns, []stream.Event[ev]) {
	held := map[string][]stream.Event[ev]{}
	fin := map[wkey]ns{}
	var late []stream.Event[ev]
	type sess struct {
		s, e int64
		els  []stream.Event[ev]
	}
	sessions := func(els []stream.Event[ev]) []sess {
		els = slices.Clone(els)
		sort.SliceStable(els, func(i, j int) bool { return els[i].Time < els[j].Time })
		var out []sess
		for _, x := range els {
			e := x.Time + gap(x.Value)
			if n := len(out); n > 0 && x.Time < out[n-1].e {
				out[n-1].e = max(out[n-1].e, e)
				out[n-1].els = append(out[n-1].els, x)
				continue
			}
			out = append(out, sess{x.Time, e, []stream.Event[ev]{x}})
		}
		return out
	}
	finish := func(k string, s sess) {
		var x ns
		for _, e := range s.els {
			x.N++
			x.Sum += e.Value.V
		}
		fin[wkey{k, s.s, s.e}] = x
	}
	wm := int64(stream.MinTime)
	for _, st := range steps {
		if st.wm {
			if st.t <= wm {
				continue
			}
			wm = st.t
			for k, els := range held {
				var keep []stream.Event[ev]
				for _, s := range sessions(els) {
					if s.e-1+lateness <= wm {
						finish(k, s)
					} else {
						keep = append(keep, s.els...)
					}
				}
				held[k] = keep
			}
			continue
		}
		x := stream.Event[ev]{Value: st.v, Time: st.t}
		lo, hi := x.Time, x.Time+gap(x.Value)
		ok := hi-1+lateness > wm
		for _, s := range sessions(held[st.v.K]) {
			if s.s < hi && lo < s.e {
				ok = true
			}
		}
		if ok {
			held[st.v.K] = append(held[st.v.K], x)
		} else {
			late = append(late, x)
		}
	}
	for k, els := range held {
		for _, s := range sessions(els) {
			finish(k, s)
		}
	}
	return fin, late
}

func sortEvents(es []stream.Event[ev]) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Time != b.Time {
			return a.Time < b.Time
		}
		if a.Value.K != b.Value.K {
			return a.Value.K < b.Value.K
		}
		return a.Value.V < b.Value.V
	})
}

// runPipeline runs steps through source -> KeyBy -> AggregateLate(ag) ->
// sinks.
func runPipeline(t *testing.T, steps []step, a Assigner, ag Aggregator[ev, ns, ns], par, batch int, opts ...Option) ([]Result[string, ns], []stream.Event[ev], uint64) {
	t.Helper()
	rs, ls, _, m, err := runPolicy(t, steps, a, ag, par, batch, stream.FailOnError, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return rs, ls, m.Late
}

// runPolicy runs steps through AggregateLate in a pipeline whose window
// stage is named "w" and has error policy pol, and returns the results, the
// late elements, the dead letters, the stage's metrics and Run's error.
func runPolicy(t *testing.T, steps []step, a Assigner, ag Aggregator[ev, ns, ns], par, batch int, pol stream.ErrorPolicy, opts ...Option) ([]Result[string, ns], []stream.Event[ev], []stream.DeadLetter, stream.StageMetrics, error) {
	t.Helper()
	p := stream.New(stream.WithBatchSize(batch), stream.WithParallelism(par))
	src := stream.From(p, scriptSource(steps), stream.Watermarks(stream.NoWatermarks()))
	ks := stream.KeyBy(src, func(e ev) string { return e.K })
	res, late := AggregateLate(ks, a, ag, append(opts, StageOptions(stream.Name("w"), stream.OnError(pol)))...)
	rs, ls, dl := sink.Collect[Result[string, ns]](), sink.Collect[ev](), sink.Collect[stream.DeadLetter]()
	stream.To(res, rs)
	stream.To(late, ls)
	stream.To(p.DeadLetters(), dl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := p.Run(ctx)
	m, _ := p.Stage("w")
	return rs.Values(), ls.Events(), dl.Values(), m, err
}

type oracleCase struct {
	name     string
	a        Assigner
	fixed    [3]int64 // size, slide, offset
	gap      func(ev) int64
	lateness int64
	opts     []Option
}

func oracleCases() []oracleCase {
	var cs []oracleCase
	for _, l := range []int64{0, 7} {
		cs = append(cs,
			oracleCase{name: "tumbling", a: Tumbling(10), fixed: [3]int64{10, 10, 0}, lateness: l},
			oracleCase{name: "tumbling-offset", a: Tumbling(7).WithOffset(-4), fixed: [3]int64{7, 7, 3}, lateness: l},
			oracleCase{name: "sliding", a: Sliding(10, 4), fixed: [3]int64{10, 4, 0}, lateness: l},
			oracleCase{name: "sliding-3", a: Sliding(12, 3), fixed: [3]int64{12, 3, 0}, lateness: l},
			oracleCase{name: "session", a: Session(5), gap: func(ev) int64 { return 5 }, lateness: l},
			oracleCase{name: "session-dynamic", a: SessionFunc(func(e ev) time.Duration { return time.Duration(e.V) }), gap: func(e ev) int64 { return e.V }, lateness: l},
			oracleCase{name: "tumbling-final-only", a: Tumbling(10), fixed: [3]int64{10, 10, 0}, lateness: l, opts: []Option{FinalOnly()}},
			oracleCase{name: "sliding-early", a: Sliding(10, 5), fixed: [3]int64{10, 5, 0}, lateness: l, opts: []Option{EarlyEveryCount(3)}},
			oracleCase{name: "session-final-only", a: Session(4), gap: func(ev) int64 { return 4 }, lateness: l, opts: []Option{FinalOnly()}},
			oracleCase{name: "session-early", a: Session(6), gap: func(ev) int64 { return 6 }, lateness: l, opts: []Option{EarlyEveryCount(2)}},
		)
	}
	return cs
}

// TestOracle: for random streams (many keys, disorder within the watermark
// bound, some elements beyond the allowed lateness) the final results equal
// the oracle's exactly and the late stream holds exactly the oracle's late
// elements; per key, on-time results come in window-end order; FinalOnly
// emits one result per window.
func TestOracle(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for _, c := range oracleCases() {
		t.Run(fmt.Sprintf("%s/lateness=%d", c.name, c.lateness), func(t *testing.T) {
			t.Parallel()
			for seed := range seeds {
				r := rand.New(rand.NewPCG(uint64(seed), 42))
				steps := genSteps(r, 600+r.IntN(600), 1+r.IntN(30), 1+r.Int64N(12))
				var want map[wkey]ns
				var wantLate []stream.Event[ev]
				if c.gap != nil {
					want, wantLate = oracleSession(steps, c.gap, c.lateness)
				} else {
					want, wantLate = oracleFixed(steps, c.fixed[0], c.fixed[1], c.fixed[2], c.lateness)
				}
				par, batch := 1+r.IntN(3), 1+r.IntN(64)
				opts := append([]Option{AllowedLateness(time.Duration(c.lateness))}, c.opts...)
				if seed%2 == 1 {
					// look keys up ahead (see ringEngine.process) from the
					// first key on, as with many keys
					opts = append(opts, optionFunc(func(c *config) { c.aheadKeys = 1 }))
					// and hand fireSub's results on a few at a time
					opts = append(opts, optionFunc(func(c *config) { c.results = 1 + seed%3 }))
				}
				// seeds 2, 3 mod 4: an aggregator that subtracts, so sliding
				// windows slide one aggregate per key (else two-stacks)
				var ag Aggregator[ev, ns, ns] = sumAgg{}
				if seed%4 >= 2 {
					ag = subAgg{}
				}
				got, gotLate, nLate := runPipeline(t, steps, c.a, ag, par, batch, opts...)
				if g, w := fmtFinals(finals(got)), fmtFinals(want); g != w {
					t.Fatalf("seed %d par %d batch %d: finals differ\ngot:\n%s\nwant:\n%s", seed, par, batch, g, w)
				}
				sortEvents(gotLate)
				sortEvents(wantLate)
				if !slices.Equal(gotLate, wantLate) {
					t.Fatalf("seed %d: late elements differ\ngot  %v\nwant %v", seed, gotLate, wantLate)
				}
				if nLate != uint64(len(wantLate)) {
					t.Fatalf("seed %d: Late metric %d, want %d", seed, nLate, len(wantLate))
				}
				checkOrder(t, got, slices.ContainsFunc(c.opts, func(o Option) bool { var x config; o.apply(&x); return x.finalOnly }))
			}
		})
	}
}

// checkOrder checks per key: on-time results in window-end order, no
// result of a window after its on-time one except Late and Retract, and with
// finalOnly exactly one OnTime result per window and nothing else.
func checkOrder(t *testing.T, rs []Result[string, ns], finalOnly bool) {
	t.Helper()
	lastEnd := map[string]int64{}
	onTime := map[wkey]bool{}
	for _, r := range rs {
		w := wkey{r.Key, r.Start, r.End}
		switch r.Firing {
		case OnTime:
			if r.End < lastEnd[r.Key] {
				t.Fatalf("%v: on-time after a window ending at %d", r, lastEnd[r.Key])
			}
			lastEnd[r.Key] = r.End
			if onTime[w] {
				t.Fatalf("%v: second on-time result", r)
			}
			onTime[w] = true
		case Early:
			if onTime[w] || finalOnly {
				t.Fatalf("%v: early result after on-time (or with FinalOnly)", r)
			}
		default:
			if finalOnly {
				t.Fatalf("%v with FinalOnly", r)
			}
		}
	}
}
