package stream

import (
	"slices"
	"testing"
)

// batchInlet records the batches it receives (copies: a batch is only
// valid during the call).
type batchInlet[T any] struct {
	discard[T]
	batches [][]Event[T]
}

func (r *batchInlet[T]) batch(b []Event[T]) { r.batches = append(r.batches, slices.Clone(b)) }

// TestCollectorAppend: elements filled in place through Append and those
// given to EmitAt come out in order, in batches of the collector's size; a
// batch filled by Append is pushed at the next call (the caller fills the
// element after Append returns), and what is left by flush.
func TestCollectorAppend(t *testing.T) {
	rec := &batchInlet[[3]int64]{}
	c := &Collector[[3]int64]{buf: make([]Event[[3]int64], 0, 4), size: 4, next: rec}
	var want []Event[[3]int64]
	for i := range int64(10) {
		v := [3]int64{i, -i, 2 * i}
		if i%3 == 0 {
			c.EmitAt(v, 100+i)
		} else {
			p := c.Append(100 + i)
			*p = v
		}
		want = append(want, Event[[3]int64]{Value: v, Time: 100 + i})
	}
	c.flush()
	var got []Event[[3]int64]
	for _, b := range rec.batches {
		if len(b) == 0 || len(b) > 4 {
			t.Fatalf("batch of %d", len(b))
		}
		got = append(got, b...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if len(rec.batches) != 3 {
		t.Fatalf("%d batches, want 3", len(rec.batches))
	}
}

// TestCollectorEmitBatch: a batch given to EmitBatch follows what was
// emitted before it, whole, and what is emitted after it follows it.
func TestCollectorEmitBatch(t *testing.T) {
	rec := &batchInlet[int]{}
	c := &Collector[int]{buf: make([]Event[int], 0, 4), size: 4, next: rec}
	c.EmitAt(1, 1)
	c.EmitBatch([]Event[int]{{Value: 2, Time: 2}, {Value: 3, Time: 3}, {Value: 4, Time: 4}, {Value: 5, Time: 5}, {Value: 6, Time: 6}})
	c.EmitBatch(nil)
	c.EmitAt(7, 7)
	c.flush()
	var got []int
	var sizes []int
	for _, b := range rec.batches {
		sizes = append(sizes, len(b))
		for _, e := range b {
			got = append(got, e.Value)
		}
	}
	if !slices.Equal(got, []int{1, 2, 3, 4, 5, 6, 7}) || !slices.Equal(sizes, []int{1, 5, 1}) {
		t.Fatalf("got %v in batches of %v", got, sizes)
	}
}
