package stream

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// recordInlet keeps copies of the batches it receives and, like any inlet
// may, scribbles over the batch it was given.
type recordInlet[T any] struct {
	got      []Event[T]
	scribble T
}

func (r *recordInlet[T]) batch(b []Event[T]) {
	r.got = append(r.got, b...)
	for i := range b {
		b[i].Value = r.scribble
	}
}
func (r *recordInlet[T]) watermark(int64) {}
func (r *recordInlet[T]) idle()           {}
func (r *recordInlet[T]) barrier(barrier) {}
func (r *recordInlet[T]) end()            {}

// TestMapFilterUnrolled checks the unrolled, in-place Map and Filter loops
// and the copy-to-another-type Map against their definitions for every
// batch length up to 40 (all remainders mod 8) and random keep patterns,
// including all-kept and none-kept.
func TestMapFilterUnrolled(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 41 {
		for _, density := range []float64{0, 0.3, 0.5, 0.9, 1} {
			in := make([]Event[int64], n)
			keepSet := map[int64]bool{}
			for i := range in {
				in[i] = Event[int64]{Value: int64(i), Time: int64(1000 + i)}
				keepSet[int64(i)*3] = r.Float64() < density
			}
			var want []Event[int32]
			for _, e := range in {
				if keepSet[e.Value*3] {
					want = append(want, Event[int32]{Value: int32(e.Value*3) + 1, Time: e.Time})
				}
			}
			meta := &stageMeta{name: "t", wms: make([]atomic.Int64, 1)}
			rec := &recordInlet[int32]{scribble: -1}
			conv := &mapInlet[int64, int32]{pass: pass[int32]{meta, rec, 0}, f: func(v int64) int32 { return int32(v) + 1 }, buf: make([]Event[int32], 4)}
			f := &filterInlet[int64]{pass: pass[int64]{meta, conv, 0}, keep: func(v int64) bool { return keepSet[v] }}
			m := &mapSameInlet[int64]{pass: pass[int64]{meta, f, 0}, f: func(v int64) int64 { return v * 3 }}
			m.batch(in)
			if !slices.Equal(rec.got, want) {
				t.Fatalf("n=%d density=%v: got %v, want %v", n, density, rec.got, want)
			}
			if d := meta.dropped.Load(); d != uint64(n-len(want)) {
				t.Fatalf("n=%d: dropped %d, want %d", n, d, n-len(want))
			}

			// The same chain fed bare values (valuesInlet), entered at each
			// stage: it must give the same values at the one time, and leave
			// the values it read untouched.
			const ts = 77
			vals := make([]int64, n)
			for i, e := range in {
				vals[i] = e.Value
			}
			orig := slices.Clone(vals)
			for entry := range 3 {
				rec := &recordInlet[int32]{scribble: -1}
				conv := &mapInlet[int64, int32]{pass: pass[int32]{meta, rec, 0}, f: func(v int64) int32 { return int32(v*3) + 1 }}
				f := &filterInlet[int64]{pass: pass[int64]{meta, conv, 0}, keep: func(v int64) bool { return keepSet[v*3] }}
				var want []Event[int32]
				switch entry {
				case 0: // Map to the same type first
					m := &mapSameInlet[int64]{pass: pass[int64]{meta, f, 0}, f: func(v int64) int64 { return v * 3 }}
					f.keep = func(v int64) bool { return keepSet[v] }
					conv.f = func(v int64) int32 { return int32(v) + 1 }
					m.values(vals, ts)
					for _, v := range vals {
						if keepSet[v*3] {
							want = append(want, Event[int32]{Value: int32(v*3) + 1, Time: ts})
						}
					}
				case 1: // Filter first
					f.values(vals, ts)
					for _, v := range vals {
						if keepSet[v*3] {
							want = append(want, Event[int32]{Value: int32(v*3) + 1, Time: ts})
						}
					}
				case 2: // Map to another type first
					conv.values(vals, ts)
					for _, v := range vals {
						want = append(want, Event[int32]{Value: int32(v*3) + 1, Time: ts})
					}
				}
				if !slices.Equal(rec.got, want) {
					t.Fatalf("values, entry %d, n=%d density=%v: got %v, want %v", entry, n, density, rec.got, want)
				}
				if !slices.Equal(vals, orig) {
					t.Fatalf("values, entry %d, n=%d: input rewritten: %v", entry, n, vals)
				}
			}
		}
	}
}

// TestFanoutCopies: consumers may rewrite their batch in place, so a
// fanout must give each consumer but the last its own copy.
func TestFanoutCopies(t *testing.T) {
	a, b := &recordInlet[int]{scribble: -1}, &recordInlet[int]{scribble: -2}
	f := typedOut[int]{}.fanout([]any{a, b}).(inlet[int])
	in := []Event[int]{{Value: 1, Time: 1}, {Value: 2, Time: 2}}
	f.batch(in)
	want := []Event[int]{{Value: 1, Time: 1}, {Value: 2, Time: 2}}
	if !slices.Equal(a.got, want) || !slices.Equal(b.got, want) {
		t.Fatalf("consumers saw %v and %v, want %v each", a.got, b.got, want)
	}
}

// TestValuesPathWired: a source's Emitter reads bulk values into a Map
// (either form) or a Filter chained right after it, and not into other
// inlets (a fanout copies): without this the fast path of EmitAll could
// silently stop being taken and every output test would still pass.
func TestValuesPathWired(t *testing.T) {
	ic := &instanceCtx{rt: &runtime{cfg: config{batchSize: 8}}, t: &task{}, n: &node{meta: &stageMeta{}}}
	meta := &stageMeta{wms: make([]atomic.Int64, 1)}
	next := &recordInlet[int]{}
	cases := map[string]struct {
		out  inlet[int]
		want bool
	}{
		"map":     {&mapSameInlet[int]{pass: pass[int]{meta, next, 0}, f: func(v int) int { return v }}, true},
		"convert": {&mapInlet[int, int]{pass: pass[int]{meta, next, 0}, f: func(v int) int { return v }}, true},
		"filter":  {&filterInlet[int]{pass: pass[int]{meta, next, 0}, keep: func(int) bool { return true }}, true},
		"fanout":  {typedOut[int]{}.fanout([]any{next, next}).(inlet[int]), false},
		"other":   {next, false},
	}
	for name, c := range cases {
		e := newEmitter(ic, c.out, nil, Ascending(), 0)
		if got := e.vals != nil; got != c.want {
			t.Errorf("%s: reads values in place %v, want %v", name, got, c.want)
		}
	}
}
