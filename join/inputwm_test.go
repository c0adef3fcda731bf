package join_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/weirhq/weir/join"
	"github.com/weirhq/weir/sink"
	"github.com/weirhq/weir/stream"
)

// TestAwaitWatermarkFollowsTheTable: with AwaitWatermark an element waits
// for the table input's own watermark, not for the stream's. The stream
// source holds its watermark back and waits until its element has been
// enriched; that only happens if the table's watermark releases it.
func TestAwaitWatermarkFollowsTheTable(t *testing.T) {
	enriched := make(chan string, 1)
	got := make(chan string, 1)
	p := stream.New()
	orders := stream.From(p, stream.SourceFunc[int](func(ctx context.Context, out *stream.Emitter[int]) error {
		out.EmitNanos(7, 100) // no watermark from this input until it ends
		out.Flush()
		select {
		case <-enriched:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("the element was not released by the table's watermark")
		case <-ctx.Done():
			return ctx.Err()
		}
	}), stream.Watermarks(stream.NoWatermarks()))
	changes := stream.From(p, stream.SourceFunc[join.Change[int, string]](func(ctx context.Context, out *stream.Emitter[join.Change[int, string]]) error {
		out.EmitNanos(join.Upsert(7, "seven"), 50)
		out.Watermark(200)
		<-ctx.Done() // a live changelog: it never ends by itself
		return ctx.Err()
	}), stream.Watermarks(stream.NoWatermarks()))
	table := join.Table(stream.KeyBy(changes, func(c join.Change[int, string]) int { return c.Key }).Stream(), join.AwaitWatermark())
	out := join.Enrich(stream.KeyBy(orders, func(x int) int { return x }), table, func(x int, name string) string { return name })
	sink.To(out, sink.Func(func(s string) error { got <- s; enriched <- s; return nil }))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	select {
	case s := <-got:
		if s != "seven" {
			t.Fatalf("enriched with %q", s)
		}
	case err := <-errc:
		t.Fatalf("Run ended before the element was enriched: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the element waits for the stream's watermark, not the table's")
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
}
