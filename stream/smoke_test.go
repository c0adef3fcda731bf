package stream

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// sliceSource and collectSink are minimal test doubles; package source and
// sink have the real ones (which import this package).
func sliceSource[T any](vs []T) Source[T] {
	return SourceFunc[T](func(ctx context.Context, out *Emitter[T]) error {
		for i, v := range vs {
			if i%256 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			out.EmitNanos(v, int64(i))
		}
		return nil
	})
}

type collectSink[T any] struct {
	mu  sync.Mutex
	got []Event[T]
}

func (c *collectSink[T]) Write(_ context.Context, b []Event[T]) error {
	c.mu.Lock()
	c.got = append(c.got, b...)
	c.mu.Unlock()
	return nil
}
func (c *collectSink[T]) Flush(context.Context) error { return nil }
func (c *collectSink[T]) values() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]T, len(c.got))
	for i, e := range c.got {
		out[i] = e.Value
	}
	return out
}

func TestSmokeChain(t *testing.T) {
	p := New(WithBatchSize(7))
	in := make([]int64, 1000)
	for i := range in {
		in[i] = int64(i)
	}
	s := From(p, sliceSource(in))
	s = Map(s, func(x int64) int64 { return x * 2 })
	s = Filter(s, func(x int64) bool { return x%3 != 0 })
	s = Map(s, func(x int64) int64 { return x + 1 })
	sink := &collectSink[int64]{}
	To(s, sink)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, x := range in {
		if y := x * 2; y%3 != 0 {
			want = append(want, y+1)
		}
	}
	if got := sink.values(); !slices.Equal(got, want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
}

// TestSmokeFanoutInPlace: stages that rewrite their batch in place (Map to
// the same type, Filter) on one branch of a fanout leave the other
// branches' elements untouched.
func TestSmokeFanoutInPlace(t *testing.T) {
	p := New(WithBatchSize(16))
	in := make([]int64, 1000)
	for i := range in {
		in[i] = int64(i)
	}
	s := From(p, sliceSource(in))
	doubled, odd, plain := &collectSink[int64]{}, &collectSink[int64]{}, &collectSink[int64]{}
	To(Map(s, func(x int64) int64 { return x * 2 }), doubled)
	To(Filter(s, func(x int64) bool { return x%2 == 1 }), odd)
	To(s, plain)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wantDoubled, wantOdd []int64
	for _, x := range in {
		wantDoubled = append(wantDoubled, 2*x)
		if x%2 == 1 {
			wantOdd = append(wantOdd, x)
		}
	}
	if got := doubled.values(); !slices.Equal(got, wantDoubled) {
		t.Errorf("Map branch: got %v..., want %v...", got[:min(8, len(got))], wantDoubled[:8])
	}
	if got := odd.values(); !slices.Equal(got, wantOdd) {
		t.Errorf("Filter branch: got %v..., want %v...", got[:min(8, len(got))], wantOdd[:8])
	}
	if got := plain.values(); !slices.Equal(got, in) {
		t.Errorf("plain branch: got %v..., want %v...", got[:min(8, len(got))], in[:8])
	}
}

func TestSmokeKeyedProcessParallel(t *testing.T) {
	p := New(WithBatchSize(16), WithParallelism(3))
	in := make([]int64, 10000)
	for i := range in {
		in[i] = int64(i)
	}
	a := From(p, sliceSource(in))
	b := From(p, sliceSource(in))
	u := Union(a, b)
	ks := KeyBy(u, func(x int64) int64 { return x % 10 })
	type kv struct{ K, N int64 }
	counts := Process(ks, func(c *KeyedContext[int64, int64, kv], v int64) {
		*c.State()++
		c.SetEventTimer(MaxTime - 1)
	}, func(c *KeyedContext[int64, int64, kv], tm Timer) {
		c.Emit(kv{c.Key(), *c.State()})
	})
	sink := &collectSink[kv]{}
	To(counts, sink)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := sink.values()
	if len(got) != 10 {
		t.Fatalf("got %v", got)
	}
	for _, g := range got {
		if g.N != 2000 {
			t.Fatalf("got %v", got)
		}
	}
}

// joinCount counts what reaches each input of a two-input operator.
type joinCount[L, R any] struct{ l, r int }

func (j *joinCount[L, R]) ProcessLeft(b []Event[L])  { j.l += len(b) }
func (j *joinCount[L, R]) ProcessRight(b []Event[R]) { j.r += len(b) }
func (j *joinCount[L, R]) OnWatermark(int64)         {}
func (j *joinCount[L, R]) OnEnd()                    {}

func TestSmokeTwoInput(t *testing.T) {
	p := New(WithBatchSize(8), WithParallelism(2))
	l := KeyBy(From(p, sliceSource([]int64{1, 2, 3, 4, 5})), func(x int64) int64 { return x })
	r := KeyBy(From(p, sliceSource([]string{"a", "b"})), func(s string) int64 { return int64(len(s)) })
	var ops []*joinCount[int64, string]
	var mu sync.Mutex
	out := ApplyKeyed2(l, r, "join", func(c *OpContext[int]) Operator2[int64, string] {
		j := &joinCount[int64, string]{}
		mu.Lock()
		ops = append(ops, j)
		mu.Unlock()
		return j
	})
	To(out, &collectSink[int]{})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	tl, tr := 0, 0
	for _, o := range ops {
		tl, tr = tl+o.l, tr+o.r
	}
	if len(ops) != 2 || tl != 5 || tr != 2 {
		t.Fatalf("ops %d left %d right %d", len(ops), tl, tr)
	}
}

// routeOp sends odd left values and long right strings to its sides and
// emits the rest.
type routeOp struct {
	out   *Collector[string]
	sideL *Collector[int64]
	sideR *Collector[string]
}

func (o *routeOp) ProcessLeft(b []Event[int64]) {
	for _, e := range b {
		if e.Value%2 == 1 {
			o.sideL.EmitAt(e.Value, e.Time)
		} else {
			o.out.EmitAt(fmt.Sprint(e.Value), e.Time)
		}
	}
}
func (o *routeOp) ProcessRight(b []Event[string]) {
	for _, e := range b {
		if len(e.Value) > 1 {
			o.sideR.EmitAt(e.Value, e.Time)
		} else {
			o.out.EmitAt(e.Value, e.Time)
		}
	}
}
func (o *routeOp) OnWatermark(int64) {}
func (o *routeOp) OnEnd()            {}

// TestSmokeTwoInputSides: ApplyKeyed2WithSides delivers each side's output
// to its stream, named after the stage, at parallelism 2; unconsumed sides
// are allowed.
func TestSmokeTwoInputSides(t *testing.T) {
	for _, consume := range []bool{true, false} {
		p := New(WithBatchSize(3), WithParallelism(2))
		l := KeyBy(From(p, sliceSource([]int64{1, 2, 3, 4, 5, 6})), func(x int64) int64 { return x })
		r := KeyBy(From(p, sliceSource([]string{"a", "bb", "c", "dd"})), func(s string) int64 { return int64(len(s)) })
		out, sideL, sideR := ApplyKeyed2WithSides(l, r, "route", func(c *OpContext[string], sl *Collector[int64], sr *Collector[string]) Operator2[int64, string] {
			return &routeOp{c.Out, sl, sr}
		}, Name("route"))
		main, gotL, gotR := &collectSink[string]{}, &collectSink[int64]{}, &collectSink[string]{}
		To(out, main)
		if consume {
			To(sideL, gotL)
			To(sideR, gotR)
		}
		if err := p.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		sorted := func(v []string) []string { slices.Sort(v); return v }
		if got := sorted(main.values()); !slices.Equal(got, []string{"2", "4", "6", "a", "c"}) {
			t.Errorf("main output %v", got)
		}
		if !consume {
			continue
		}
		if sideL.Name() != "route.left" || sideR.Name() != "route.right" {
			t.Errorf("sides named %q and %q", sideL.Name(), sideR.Name())
		}
		odd := gotL.values()
		slices.Sort(odd)
		if !slices.Equal(odd, []int64{1, 3, 5}) {
			t.Errorf("left side %v", odd)
		}
		if got := sorted(gotR.values()); !slices.Equal(got, []string{"bb", "dd"}) {
			t.Errorf("right side %v", got)
		}
	}
}

// batchSink records the length of each batch it is given.
type batchSink struct{ lens []int }

func (s *batchSink) Write(_ context.Context, b []Event[int]) error {
	s.lens = append(s.lens, len(b))
	return nil
}
func (s *batchSink) Flush(context.Context) error { return nil }

// TestExplicitWatermarkFlushes: an explicit watermark that advances flushes
// the elements before it, in order before it; one that does not advance is
// ignored and leaves the batch gathering.
func TestExplicitWatermarkFlushes(t *testing.T) {
	p := New(WithBatchSize(100))
	s := From(p, SourceFunc[int](func(ctx context.Context, out *Emitter[int]) error {
		out.EmitNanos(1, 10)
		out.EmitNanos(2, 11)
		out.Watermark(20) // flushes [1 2]
		out.EmitNanos(3, 25)
		out.Watermark(20) // not above 20: ignored
		out.Watermark(5)  // likewise
		out.EmitNanos(4, 26)
		return nil // the end flushes [3 4]
	}))
	sink := &batchSink{}
	To(s, sink)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 2}; !slices.Equal(sink.lens, want) {
		t.Fatalf("batches %v, want %v", sink.lens, want)
	}
}

// TestSameStreamTwice: a stage that takes one stream on two inputs
// (Union(s, s), a self-join) gets each element once per input.
func TestSameStreamTwice(t *testing.T) {
	p := New()
	s := From(p, sliceSource([]int{1, 2, 3}))
	u := &collectSink[int]{}
	To(Union(s, s), u)
	ks := KeyBy(s, func(v int) int { return 0 })
	self := &joinCount[int, int]{} // one instance: the default parallelism is 1
	To(ApplyKeyed2(ks, ks, "self", func(*OpContext[int]) Operator2[int, int] { return self }), &collectSink[int]{})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := u.values()
	slices.Sort(got)
	if want := []int{1, 1, 2, 2, 3, 3}; !slices.Equal(got, want) {
		t.Fatalf("Union(s, s) gave %v, want %v", got, want)
	}
	if self.l != 3 || self.r != 3 {
		t.Fatalf("self-join saw %d left and %d right elements, want 3 and 3", self.l, self.r)
	}
}
