package source_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/source"
	"github.com/weirhq/weir/stream"
)

type payload struct {
	Key  int64
	Data [120]byte
}

// An unbounded, as-fast-as-possible Generator feeding a deliberately slow
// sink through a keyed exchange keeps the heap bounded: the exchanges fill
// up and block the generator, which then produces only as fast as the sink
// consumes. Buffering the same elements would need gigabytes.
func TestBackpressureBoundsHeap(t *testing.T) {
	const (
		target  = 2_000_000
		ceiling = 64 << 20
	)
	var generated atomic.Int64
	p := stream.New()
	src := stream.From(p, source.Generator(func(i int64, rng *rand.Rand) payload {
		generated.Store(i + 1)
		return payload{Key: rng.Int64N(1000)}
	}))
	ks := stream.KeyBy(src, func(v payload) int64 { return v.Key }, stream.Parallelism(2))
	// A keyed stage: two instances behind a hash exchange, then another
	// exchange into the sink.
	keys := stream.Process(ks, func(c *stream.KeyedContext[int64, struct{}, int64], v payload) { c.Emit(v.Key) }, nil)
	var consumed atomic.Int64
	sink.To(keys, sink.EventFunc(func(stream.Event[int64]) error {
		if consumed.Add(1)%2048 == 0 {
			time.Sleep(time.Millisecond) // deliberately slow: at most ~2M events/s
		}
		return nil
	}))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()

	// Measure growth over what the process held before (other tests in
	// this binary may have left garbage).
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var maxHeap uint64
	var maxLag int64
	deadline := time.Now().Add(8 * time.Second)
	for consumed.Load() < target && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		runtime.ReadMemStats(&ms)
		maxHeap = max(maxHeap, ms.HeapAlloc-min(base, ms.HeapAlloc))
		maxLag = max(maxLag, generated.Load()-consumed.Load())
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	t.Logf("consumed %d, max heap growth %.1f MiB, max in flight %d", consumed.Load(), float64(maxHeap)/(1<<20), maxLag)
	if c := consumed.Load(); c < 1_000_000 {
		t.Fatalf("only %d events passed; want millions", c)
	}
	if maxHeap > ceiling {
		t.Fatalf("heap grew by %.1f MiB, want < %d MiB", float64(maxHeap)/(1<<20), ceiling>>20)
	}
	// In flight: at most the exchanges' capacity (16 batches of 512 per
	// input of each exchange) and a few batches being handled.
	// The sink really was the bottleneck: the exchanges filled up...
	if maxLag < 2048 {
		t.Fatalf("at most %d events in flight: the sink never held the generator back", maxLag)
	}
	// ...and the generator waited instead of running ahead.
	if maxLag > 200_000 {
		t.Fatalf("%d events in flight: the generator was not held back", maxLag)
	}
}

// A panic in a Map fails the pipeline with an error naming the stage, with
// the panic value inside.
func TestPanicInMapNamesStage(t *testing.T) {
	p := stream.New()
	m := stream.Map(stream.From(p, source.Slice([]int{1, 2, 3, 4})), func(x int) int {
		if x == 3 {
			panic("three")
		}
		return x
	}, stream.Name("explode"))
	sink.To(m, sink.Discard[int]())
	err := p.Run(context.Background())
	var se *stream.StageError
	if !errors.As(err, &se) || se.Stage != "explode" {
		t.Fatalf("Run = %v, want a *stream.StageError of stage explode", err)
	}
	var pe *stream.PanicError
	if !errors.As(err, &pe) || pe.Value != "three" {
		t.Fatalf("Run = %v, want a *stream.PanicError with value three", err)
	}
}
