package join

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/stream"
)

// pair is the result type of the oracle tests: both sides rendered, "-" for
// an absent one.
type pair struct{ L, R string }

func (p pair) String() string { return p.L + "+" + p.R }

func optStr(o Opt[ev]) string {
	if !o.Ok {
		return "-"
	}
	return o.Value.String()
}

func mkPair(l, r Opt[ev]) pair { return pair{optStr(l), optStr(r)} }

// windowOracle is the nested-loop window join over sorted inputs.
func windowOracle(w Windows, kind Kind, ls, rs []ev) []string {
	type wk struct {
		k string
		s int64
	}
	windows := func(t int64) []int64 {
		var out []int64
		for s := w.lastStart(t); s > t-w.size; s -= w.slide {
			out = append(out, s)
		}
		return out
	}
	lw := map[wk][]ev{}
	rw := map[wk][]ev{}
	for _, l := range ls {
		for _, s := range windows(l.T) {
			lw[wk{l.K, s}] = append(lw[wk{l.K, s}], l)
		}
	}
	for _, r := range rs {
		for _, s := range windows(r.T) {
			rw[wk{r.K, s}] = append(rw[wk{r.K, s}], r)
		}
	}
	var out []stream.Event[pair]
	for k, lv := range lw {
		end := k.s + w.size - 1
		for _, l := range lv {
			matched := false
			for _, r := range rw[k] {
				out = append(out, stream.Event[pair]{Value: mkPair(Some(l), Some(r)), Time: end})
				matched = true
			}
			if !matched && kind.keepLeft() {
				out = append(out, stream.Event[pair]{Value: mkPair(Some(l), None[ev]()), Time: end})
			}
		}
	}
	if kind.keepRight() {
		for k, rv := range rw {
			if len(lw[k]) > 0 {
				continue
			}
			for _, r := range rv {
				out = append(out, stream.Event[pair]{Value: mkPair(None[ev](), Some(r)), Time: k.s + w.size - 1})
			}
		}
	}
	return strs(out)
}

// intervalOracle is the nested-loop interval join over sorted inputs.
func intervalOracle(lower, upper int64, outer bool, ls, rs []ev) []string {
	var out []stream.Event[pair]
	for _, l := range ls {
		matched := false
		for _, r := range rs {
			if l.K == r.K && l.T+lower <= r.T && r.T <= l.T+upper {
				out = append(out, stream.Event[pair]{Value: mkPair(Some(l), Some(r)), Time: max(l.T, r.T)})
				matched = true
			}
		}
		if outer && !matched {
			out = append(out, stream.Event[pair]{Value: mkPair(Some(l), None[ev]()), Time: l.T + max(0, upper)})
		}
	}
	return strs(out)
}

var windowCases = []struct {
	name string
	w    Windows
}{
	{"tumbling", Windows{50, 50}},
	{"sliding", Windows{60, 20}},
	{"gaps", Windows{20, 45}},
}

var kinds = []Kind{Inner, LeftOuter, RightOuter, FullOuter}

func TestWindowJoinOracleDirect(t *testing.T) {
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 1))
		bound := r.Int64N(40)
		ls, la := genInput(r, 1+r.IntN(120), 1+r.IntN(6), 1000, bound, 1)
		rs, ra := genInput(r, 1+r.IntN(120), 1+r.IntN(6), 1000, bound, 2)
		steps := interleave(r, la, ra, bound)
		for _, wc := range windowCases {
			for _, kind := range kinds {
				c := &capture[pair]{}
				j := newWindowJoin(wc.w, kind, ev.key, ev.key, mkPair)
				j.base = c.base()
				drive(j, steps, id, id)
				want := windowOracle(wc.w, kind, ls, rs)
				t.Run(fmt.Sprintf("%d/%s/%v", seed, wc.name, kind), func(t *testing.T) {
					if c.late != 0 {
						t.Fatalf("late %d", c.late)
					}
					sameMultiset(t, strs(c.out), want)
				})
			}
		}
	}
}

func TestIntervalJoinOracleDirect(t *testing.T) {
	bounds := [][2]int64{{-10, 10}, {0, 30}, {-40, -5}, {5, 25}, {0, 0}, {-3, 200}}
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 2))
		bound := r.Int64N(40)
		ls, la := genInput(r, 1+r.IntN(150), 1+r.IntN(6), 1000, bound, 1)
		rs, ra := genInput(r, 1+r.IntN(150), 1+r.IntN(6), 1000, bound, 2)
		steps := interleave(r, la, ra, bound)
		for _, b := range bounds {
			for _, outer := range []bool{false, true} {
				c := &capture[pair]{}
				j := newIntervalJoin(b[0], b[1], outer, ev.key, ev.key, func(l ev, r Opt[ev]) pair { return mkPair(Some(l), r) })
				j.base = c.base()
				drive(j, steps, id, id)
				want := intervalOracle(b[0], b[1], outer, ls, rs)
				t.Run(fmt.Sprintf("%d/%v/outer=%v", seed, b, outer), func(t *testing.T) {
					if c.late != 0 {
						t.Fatalf("late %d", c.late)
					}
					sameMultiset(t, strs(c.out), want)
					if j.held != 0 || len(j.state) != 0 {
						t.Fatalf("state left after the final watermark: held %d keys %d", j.held, len(j.state))
					}
				})
			}
		}
	}
}

// TestJoinsOraclePipeline runs every join kind through real pipelines
// (parallelism 1 and 2) against the oracles.
func TestJoinsOraclePipeline(t *testing.T) {
	for seed := range uint64(3) {
		for _, par := range []int{1, 2} {
			r := rand.New(rand.NewPCG(seed, 3))
			bound := 1 + r.Int64N(40)
			ls, la := genInput(r, 400, 7, 2000, bound, 1)
			rs, ra := genInput(r, 400, 7, 2000, bound, 2)
			name := fmt.Sprintf("seed%d/par%d", seed, par)
			for _, wc := range windowCases {
				for _, kind := range kinds {
					t.Run(fmt.Sprintf("%s/window/%s/%v", name, wc.name, kind), func(t *testing.T) {
						t.Parallel()
						p := stream.New(stream.WithParallelism(par), stream.WithBatchSize(16))
						var out stream.Stream[pair]
						if kind == Inner {
							out = Window(from(p, la, bound), from(p, ra, bound), wc.w, func(l, r ev) pair { return mkPair(Some(l), Some(r)) })
						} else {
							out = WindowOuter(from(p, la, bound), from(p, ra, bound), wc.w, kind, mkPair)
						}
						col := sink.Collect[pair]()
						stream.To(out, col)
						run(t, p)
						sameMultiset(t, strs(col.Events()), windowOracle(wc.w, kind, ls, rs))
					})
				}
			}
			for _, outer := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/interval/outer=%v", name, outer), func(t *testing.T) {
					t.Parallel()
					p := stream.New(stream.WithParallelism(par), stream.WithBatchSize(16))
					var out stream.Stream[pair]
					if outer {
						out = IntervalLeft(from(p, la, bound), from(p, ra, bound), -10, 25, func(l ev, r Opt[ev]) pair { return mkPair(Some(l), r) })
					} else {
						out = Interval(from(p, la, bound), from(p, ra, bound), -10, 25, func(l, r ev) pair { return mkPair(Some(l), Some(r)) })
					}
					col := sink.Collect[pair]()
					stream.To(out, col)
					run(t, p)
					sameMultiset(t, strs(col.Events()), intervalOracle(-10, 25, outer, ls, rs))
				})
			}
		}
	}
}
