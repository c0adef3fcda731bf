package stream

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

type dupEvent struct {
	Key int
	T   int64
}

// TestDedupeOracle: random keys and times with disorder within the
// watermark bound; the output must equal a naive oracle that walks the
// arrival order and keeps an element unless a kept element of its key lies
// within the horizon.
func TestDedupeOracle(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		const bound, horizon = 50, 200
		var in []dupEvent
		for i := range 3000 {
			in = append(in, dupEvent{Key: r.IntN(40), T: int64(i*3 + r.IntN(bound))})
		}
		p := New(WithBatchSize(1+r.IntN(64)), WithParallelism(1+r.IntN(2)))
		src := From(p, SourceFunc[dupEvent](func(ctx context.Context, out *Emitter[dupEvent]) error {
			for _, e := range in {
				out.EmitNanos(e, e.T)
			}
			return nil
		}), Watermarks(BoundedOutOfOrderness(bound)))
		sink := &collectSink[dupEvent]{}
		To(Dedupe(KeyBy(src, func(e dupEvent) int { return e.Key }), horizon, Name("dedupe")), sink)
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		kept := map[int][]int64{}
		var want []dupEvent
		for _, e := range in {
			dup := false
			for _, k := range kept[e.Key] {
				if d := e.T - k; d < horizon && d > -horizon {
					dup = true
				}
			}
			if !dup {
				kept[e.Key] = append(kept[e.Key], e.T)
				want = append(want, e)
			}
		}
		got := sink.values()
		cmp := func(a, b dupEvent) int {
			if a.T != b.T {
				return int(a.T - b.T)
			}
			return a.Key - b.Key
		}
		slices.SortFunc(got, cmp)
		slices.SortFunc(want, cmp)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: got %d elements, want %d", seed, len(got), len(want))
		}
		m, _ := p.Stage("dedupe")
		if int(m.Dropped) != len(in)-len(want) {
			t.Fatalf("dropped %d, want %d", m.Dropped, len(in)-len(want))
		}
	}
}

// exactSeen is an ApproxSeen without false positives, to test the operator.
type exactSeen struct {
	horizon int64
	at      map[uint64]int64
}

func (e *exactSeen) TestAndAdd(h uint64, t int64) bool {
	if s, ok := e.at[h]; ok && t-s < e.horizon && s-t < e.horizon {
		return true
	}
	e.at[h] = t
	return false
}
func (e *exactSeen) Advance(int64) {}

func TestDedupeApprox(t *testing.T) {
	p := New()
	in := []int64{1, 2, 1, 3, 2, 1}
	src := From(p, sliceSource(in))
	sink := &collectSink[int64]{}
	To(DedupeApprox(KeyBy(src, func(x int64) int64 { return x }),
		func() ApproxSeen { return &exactSeen{horizon: int64(time.Hour), at: map[uint64]int64{}} },
		func(k int64) uint64 { return uint64(k) }), sink)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sink.values(); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("got %v", got)
	}
}

// TestDedupeZeroHorizon: a horizon <= 0 keeps every element, with its time,
// in order, and drops nothing.
func TestDedupeZeroHorizon(t *testing.T) {
	for _, horizon := range []time.Duration{0, -time.Second} {
		p := New(WithBatchSize(3))
		in := []int64{1, 2, 1, 3, 2, 1, 1}
		sink := &collectSink[int64]{}
		To(Dedupe(KeyBy(From(p, sliceSource(in)), func(x int64) int64 { return x }), horizon, Name("dedupe")), sink)
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, e := range sink.got {
			if e.Value != in[i] || e.Time != int64(i) {
				t.Fatalf("horizon %v: element %d is %+v, want %d at %d", horizon, i, e, in[i], i)
			}
		}
		m, _ := p.Stage("dedupe")
		if len(sink.got) != len(in) || m.Dropped != 0 || m.Out != uint64(len(in)) {
			t.Fatalf("horizon %v: kept %d of %d, metrics %+v", horizon, len(sink.got), len(in), m)
		}
	}
}
