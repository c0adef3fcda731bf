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

// TestDedupeOracle: random keys and times, with disorder within the
// watermark bound but often larger than the horizon (so an element may come
// more than a horizon before one of its key already kept); the output must
// equal a naive oracle that walks the arrival order and keeps an element
// unless a kept element of its key lies within the horizon. No element is
// late, so forgetting a key (once the watermark is a horizon past its kept
// elements) never changes the result and the oracle can remember forever.
func TestDedupeOracle(t *testing.T) {
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 7))
		bound := int64([]int{50, 300, 1000}[seed%3])
		horizon := int64([]int{20, 60, 200, 500}[r.IntN(4)])
		var in []dupEvent
		for i := range 3000 {
			in = append(in, dupEvent{Key: r.IntN(40), T: int64(i*3) + r.Int64N(bound)})
		}
		p := New(WithBatchSize(1+r.IntN(64)), WithParallelism(1+r.IntN(2)))
		src := From(p, SourceFunc[dupEvent](func(ctx context.Context, out *Emitter[dupEvent]) error {
			for _, e := range in {
				out.EmitNanos(e, e.T)
			}
			return nil
		}), Watermarks(BoundedOutOfOrderness(time.Duration(bound))))
		sink := &collectSink[dupEvent]{}
		To(Dedupe(KeyBy(src, func(e dupEvent) int { return e.Key }), time.Duration(horizon), Name("dedupe")), sink)
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
			t.Fatalf("seed %d (bound %d, horizon %d): got %d elements, want %d", seed, bound, horizon, len(got), len(want))
		}
		m, _ := p.Stage("dedupe")
		if int(m.Dropped) != len(in)-len(want) {
			t.Fatalf("seed %d: dropped %d, want %d", seed, m.Dropped, len(in)-len(want))
		}
	}
}

// dedupeStep is an element (Key, T) or, when WM is set, an explicit watermark
// at T.
type dedupeStep struct {
	Key string
	T   int64
	WM  bool
}

// TestDedupeDisorder: an element kept out of order, more than a horizon
// before one already kept, does not replace it: a new element is checked
// against every kept element of its key, and each kept element is forgotten
// only once the watermark passes its own time plus the horizon.
func TestDedupeDisorder(t *testing.T) {
	el := func(k string, t int64) dedupeStep { return dedupeStep{Key: k, T: t} }
	wm := func(t int64) dedupeStep { return dedupeStep{T: t, WM: true} }
	cases := []struct {
		name    string
		horizon int64
		in      []dedupeStep
		want    []dedupeStep
	}{
		{"repeat of the first after an earlier one", 10,
			[]dedupeStep{el("a", 100), el("a", 85), el("a", 105)},
			[]dedupeStep{el("a", 100), el("a", 85)}},
		{"repeat of the earlier one", 10,
			[]dedupeStep{el("a", 100), el("a", 85), el("a", 88), el("a", 80)},
			[]dedupeStep{el("a", 100), el("a", 85)}},
		{"repeat of the first after a later one", 10,
			[]dedupeStep{el("a", 100), el("a", 120), el("a", 109), el("a", 111), el("a", 91)},
			[]dedupeStep{el("a", 100), el("a", 120)}},
		{"three kept, repeats of each", 10,
			[]dedupeStep{el("a", 100), el("a", 85), el("a", 70), el("a", 95), el("a", 105), el("a", 80), el("a", 92), el("a", 61), el("a", 115)},
			[]dedupeStep{el("a", 100), el("a", 85), el("a", 70), el("a", 115)}},
		{"exactly a horizon apart is kept", 10,
			[]dedupeStep{el("a", 100), el("a", 90), el("a", 110), el("a", 80), el("a", 95)},
			[]dedupeStep{el("a", 100), el("a", 90), el("a", 110), el("a", 80)}},
		{"between two kept, a horizon from each", 10,
			[]dedupeStep{el("a", 100), el("a", 80), el("a", 90)},
			[]dedupeStep{el("a", 100), el("a", 80), el("a", 90)}},
		{"keys apart", 10,
			[]dedupeStep{el("a", 100), el("b", 85), el("a", 85), el("b", 100), el("a", 105), el("b", 90), el("b", 104), el("a", 89)},
			[]dedupeStep{el("a", 100), el("b", 85), el("a", 85), el("b", 100)}},
		// 85 expires at 95, 100 not before 110: a repeat of 100 in between
		// is still dropped.
		{"the later kept outlives the earlier", 10,
			[]dedupeStep{el("a", 100), el("a", 85), wm(96), el("a", 105), wm(109), el("a", 101)},
			[]dedupeStep{el("a", 100), el("a", 85)}},
		// Once the watermark passes 110 the key is forgotten: a late element
		// is kept, and is then a kept element like any other.
		{"late after forgotten", 10,
			[]dedupeStep{el("a", 100), el("a", 85), wm(110), el("a", 105), el("a", 96), el("a", 114), el("a", 94)},
			[]dedupeStep{el("a", 100), el("a", 85), el("a", 105), el("a", 94)}},
		// Only the expired one is forgotten: at watermark 96, 85 is gone but
		// 100 stays, so a late 90 is kept and a late 99 is not.
		{"late after one forgotten", 10,
			[]dedupeStep{el("a", 100), el("a", 85), wm(96), el("a", 90), el("a", 99), el("a", 81)},
			[]dedupeStep{el("a", 100), el("a", 85), el("a", 90)}},
		// Watermark 25 forgets 10 and 20, 45 also 12, 22, 30 and 40, 100 all.
		{"several kept, forgotten in turn", 5,
			[]dedupeStep{el("a", 50), el("a", 40), el("a", 30), el("a", 20), el("a", 10),
				wm(25), el("a", 12), el("a", 22), el("a", 33), wm(45), el("a", 13), el("a", 47), el("a", 52), wm(100), el("a", 50)},
			[]dedupeStep{el("a", 50), el("a", 40), el("a", 30), el("a", 20), el("a", 10), el("a", 12), el("a", 22), el("a", 13), el("a", 50)}},
	}
	for _, tc := range cases {
		for _, batch := range []int{1, 2, 100} {
			p := New(WithBatchSize(batch), WithParallelism(1))
			src := From(p, SourceFunc[dedupeStep](func(ctx context.Context, out *Emitter[dedupeStep]) error {
				out.Watermark(MinTime) // only the explicit watermarks below
				for _, s := range tc.in {
					if s.WM {
						out.Watermark(s.T)
					} else {
						out.EmitNanos(s, s.T)
					}
				}
				return nil
			}))
			sink := &collectSink[dedupeStep]{}
			To(Dedupe(KeyBy(src, func(s dedupeStep) string { return s.Key }), time.Duration(tc.horizon), Name("dedupe")), sink)
			if err := p.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := sink.values(); !slices.Equal(got, tc.want) {
				t.Errorf("%s (batch %d): got %v, want %v", tc.name, batch, got, tc.want)
			}
			for _, e := range sink.got {
				if e.Time != e.Value.T {
					t.Errorf("%s: %v emitted at %d", tc.name, e.Value, e.Time)
				}
			}
			elements := 0
			for _, s := range tc.in {
				if !s.WM {
					elements++
				}
			}
			if m, _ := p.Stage("dedupe"); int(m.Dropped) != elements-len(tc.want) {
				t.Errorf("%s (batch %d): dropped %d, want %d", tc.name, batch, m.Dropped, elements-len(tc.want))
			}
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
// in order, drops nothing, and does not call the key function.
func TestDedupeZeroHorizon(t *testing.T) {
	for _, horizon := range []time.Duration{0, -time.Second} {
		p := New(WithBatchSize(3))
		in := []int64{1, 2, 1, 3, 2, 1, 1}
		sink := &collectSink[int64]{}
		keyCalls := 0 // one instance, chained: no exchange hashes the key either
		key := func(x int64) int64 { keyCalls++; return x }
		To(Dedupe(KeyBy(From(p, sliceSource(in)), key), horizon, Name("dedupe")), sink)
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if keyCalls != 0 {
			t.Fatalf("horizon %v: the key function was called %d times", horizon, keyCalls)
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
