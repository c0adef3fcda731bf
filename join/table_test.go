package join

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/stream"
)

// changeOf turns a test element into a changelog record: every fifth one is
// a tombstone.
func changeOf(e ev) Change[string, ev] {
	if e.N%5 == 0 {
		return Delete[string, ev](e.K)
	}
	return Upsert(e.K, e)
}

func enrichPair(s ev, v Opt[ev]) pair { return mkPair(Some(s), v) }

// genChanges makes n changes with distinct times in [lo, hi), sorted, and an
// arrival order disordered by at most bound.
func genChanges(r *rand.Rand, n, keys int, lo, hi, bound int64) (sorted, arrival []ev) {
	perm := r.Perm(int(hi - lo))[:n]
	sorted = make([]ev, n)
	for i := range sorted {
		sorted[i] = ev{K: fmt.Sprintf("k%d", r.IntN(keys)), N: 200000 + i, T: lo + int64(perm[i])}
	}
	slices.SortFunc(sorted, func(a, b ev) int { return cmp.Compare(a.T, b.T) })
	type arr struct {
		e ev
		a int64
	}
	as := make([]arr, n)
	for i, e := range sorted {
		as[i] = arr{e, e.T + r.Int64N(bound+1)}
	}
	slices.SortStableFunc(as, func(x, y arr) int { return cmp.Compare(x.a, y.a) })
	arrival = make([]ev, n)
	for i, a := range as {
		arrival[i] = a.e
	}
	return sorted, arrival
}

// asOfOracle enriches every stream element with the value as of its time.
func asOfOracle(inner bool, ss, cs []ev) []string {
	var out []stream.Event[pair]
	for _, s := range ss {
		v := None[ev]()
		for _, c := range cs { // sorted by time: the last one <= s.T wins
			if c.K == s.K && c.T <= s.T {
				if ch := changeOf(c); ch.Delete {
					v = None[ev]()
				} else {
					v = Some(c)
				}
			}
		}
		if v.Ok || !inner {
			out = append(out, stream.Event[pair]{Value: enrichPair(s, v), Time: s.T})
		}
	}
	return strs(out)
}

// latestOracle enriches every stream element with the final table, the
// changes applied in arrival order.
func latestOracle(inner bool, ss, arrival []ev) []string {
	table := map[string]ev{}
	for _, c := range arrival {
		if ch := changeOf(c); ch.Delete {
			delete(table, c.K)
		} else {
			table[c.K] = c
		}
	}
	var out []stream.Event[pair]
	for _, s := range ss {
		v, ok := table[s.K]
		if ok || !inner {
			out = append(out, stream.Event[pair]{Value: enrichPair(s, Opt[ev]{v, ok}), Time: s.T})
		}
	}
	return strs(out)
}

func newTestTable(cfg tableConfig, inner bool) *tableJoin[string, ev, ev, pair] {
	if inner {
		return newTableJoin(cfg, ev.key, func(s, v ev) pair { return enrichPair(s, Some(v)) }, nil)
	}
	return newTableJoin[string, ev, ev, pair](cfg, ev.key, nil, enrichPair)
}

func TestTableJoinOracleDirect(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 4))
		bound := r.Int64N(30)
		keys := 1 + r.IntN(8)
		ss, sa := genInput(r, 1+r.IntN(150), keys, 1000, bound, 1)
		cs, ca := genChanges(r, 1+r.IntN(100), keys, 0, 1000, bound)
		steps := interleave(r, sa, ca, bound)
		for _, inner := range []bool{true, false} {
			for _, ret := range []int64{0, 7, 100} {
				c := &capture[pair]{}
				j := newTestTable(tableConfig{versioned: true, retention: ret, until: stream.MaxTime}, inner)
				j.base, j.dropped = c.base(), func(n int) { c.drop += n }
				drive(j, steps, id, changeOf)
				t.Run(fmt.Sprintf("%d/versioned/ret%d/inner=%v", seed, ret, inner), func(t *testing.T) {
					if c.late != 0 {
						t.Fatalf("late %d", c.late)
					}
					want := asOfOracle(inner, ss, cs)
					sameMultiset(t, strs(c.out), want)
					if inner && c.drop != len(ss)-len(want) {
						t.Fatalf("dropped %d, want %d", c.drop, len(ss)-len(want))
					}
				})
			}
			// Latest value, stream after the bootstrap point.
			ss2, sa2 := genInput(r, 1+r.IntN(150), keys, 1000, bound, 1)
			for i := range ss2 {
				ss2[i].T += 1000
			}
			for i := range sa2 {
				sa2[i].T += 1000
			}
			steps2 := interleave(r, sa2, ca, bound)
			c := &capture[pair]{}
			j := newTestTable(tableConfig{until: 1000}, inner)
			j.base, j.dropped = c.base(), func(n int) { c.drop += n }
			drive(j, steps2, id, changeOf)
			t.Run(fmt.Sprintf("%d/bootstrap/inner=%v", seed, inner), func(t *testing.T) {
				sameMultiset(t, strs(c.out), latestOracle(inner, ss2, ca))
			})
		}
	}
}

func TestTableJoinOraclePipeline(t *testing.T) {
	for seed := range uint64(3) {
		for _, par := range []int{1, 2} {
			r := rand.New(rand.NewPCG(seed, 5))
			bound := 1 + r.Int64N(30)
			ss, sa := genInput(r, 500, 9, 2000, bound, 1)
			cs, ca := genChanges(r, 300, 9, 0, 2000, bound)
			for _, inner := range []bool{true, false} {
				t.Run(fmt.Sprintf("seed%d/par%d/versioned/inner=%v", seed, par, inner), func(t *testing.T) {
					t.Parallel()
					p := stream.New(stream.WithParallelism(par), stream.WithBatchSize(16))
					changes := stream.Map(stream.From(p, playSource(ca, bound), stream.Watermarks(stream.NoWatermarks())), changeOf)
					tbl := Table(changes, Versioned(10), AwaitWatermark())
					var out stream.Stream[pair]
					if inner {
						out = Enrich(from(p, sa, bound), tbl, func(s, v ev) pair { return enrichPair(s, Some(v)) })
					} else {
						out = EnrichLeft(from(p, sa, bound), tbl, enrichPair)
					}
					col := sink.Collect[pair]()
					stream.To(out, col)
					run(t, p)
					sameMultiset(t, strs(col.Events()), asOfOracle(inner, ss, cs))
				})
			}
		}
	}
}

// TestTableLateChangeBehindTableWatermark: with AwaitWatermark, stream
// elements are released by the table input's watermark even when the
// join's own watermark is behind it. A change at or before that watermark
// arrives after lookups it should have affected, so it is counted as late.
func TestTableLateChangeBehindTableWatermark(t *testing.T) {
	for _, versioned := range []bool{false, true} {
		var late, dropped int
		j := newTableJoin[int, int, string, string](tableConfig{until: stream.MaxTime, versioned: versioned, retention: 1000},
			func(x int) int { return x }, func(x int, v string) string { return v }, nil)
		j.base = base[string]{emit: func(string, int64) {}, late: func(n int) { late += n }, wm: stream.MinTime}
		j.dropped = func(n int) { dropped += n }
		j.OnInputWatermark(1, 200, false)
		j.ProcessLeft([]stream.Event[int]{{Value: 7, Time: 180}}) // released at once: 7 is missing
		j.ProcessRight([]stream.Event[Change[int, string]]{{Value: Upsert(7, "seven"), Time: 150}})
		j.ProcessRight([]stream.Event[Change[int, string]]{{Value: Upsert(8, "eight"), Time: 250}})
		if dropped != 1 || late != 1 {
			t.Fatalf("versioned %v: dropped %d, late %d; want 1, 1", versioned, dropped, late)
		}
	}
}

// TestTableResumesAfterIdle: a table input that went idle and then resumed
// holds stream elements back again (AwaitWatermark): an element waits for the
// table's watermark to pass it and sees the change just before it, and no
// change is counted late. The order across the two inputs is fixed by the
// sources' handshakes (both feed the join's one inbox).
func TestTableResumesAfterIdle(t *testing.T) {
	for _, idle := range []bool{false, true} {
		resumed, elemSent := make(chan struct{}), make(chan struct{})
		p := stream.New()
		orders := stream.From(p, stream.SourceFunc[ev](func(ctx context.Context, out *stream.Emitter[ev]) error {
			<-resumed
			out.EmitNanos(ev{"a", 9, 600}, 600)
			out.Flush()
			close(elemSent)
			return nil
		}), stream.Watermarks(stream.NoWatermarks()))
		changes := stream.From(p, stream.SourceFunc[Change[string, ev]](func(ctx context.Context, out *stream.Emitter[Change[string, ev]]) error {
			out.EmitNanos(Upsert("a", ev{"a", 1, 50}), 50)
			out.Watermark(100)
			if idle {
				out.Idle()
			}
			out.EmitNanos(Upsert("a", ev{"a", 2, 300}), 300) // active again
			out.Flush()
			close(resumed)
			<-elemSent
			out.EmitNanos(Upsert("a", ev{"a", 3, 550}), 550)
			out.Watermark(1000)
			return nil
		}), stream.Watermarks(stream.NoWatermarks()))
		enriched := Enrich(stream.KeyBy(orders, ev.key), Table(changes, AwaitWatermark()),
			func(s, v ev) pair { return enrichPair(s, Some(v)) }, stream.Name("enrich"))
		col := sink.Collect[pair]()
		stream.To(enriched, col)
		run(t, p)
		m, _ := p.Stage("enrich")
		if got := strs(col.Events()); m.Late != 0 || len(got) != 1 || got[0] != "a/9@600+a/3@550@600" {
			t.Fatalf("idle %v: got %v with %d late, want [a/9@600+a/3@550@600] and none late", idle, got, m.Late)
		}
	}
}
