package source

import (
	"context"
	"iter"

	"github.com/weirhq/weir/stream"
)

// checkEvery is how many elements a source emits between two looks at its
// context: often enough to stop within microseconds, rarely enough to cost
// nothing per element.
const checkEvery = 256

// Slice returns a bounded source emitting the elements of xs in order, then
// ending. An empty or nil xs ends at once (the stream carries only the final
// watermark). The slice is read, never modified, while the pipeline runs: do
// not modify it concurrently. Elements are copied by value; pointers in them
// are shared with the caller.
func Slice[T any](xs []T) stream.Source[T] {
	return stream.SourceFunc[T](func(ctx context.Context, out *stream.Emitter[T]) error {
		done := ctx.Done()
		xs := xs // each Run reads the whole slice
		for len(xs) > 0 {
			if isDone(done) {
				return ctx.Err()
			}
			n := min(len(xs), 4*checkEvery)
			out.EmitAll(xs[:n])
			xs = xs[n:]
		}
		return nil
	})
}

// Seq returns a bounded source emitting the values of seq in order; it ends
// when seq ends. A nil seq ends at once. seq is called once per Run, from the
// source's goroutine; the source stops pulling (seq's yield returns false)
// when the pipeline is cancelled. An infinite seq makes an unbounded source
// that ends only by cancellation.
func Seq[T any](seq iter.Seq[T]) stream.Source[T] {
	return stream.SourceFunc[T](func(ctx context.Context, out *stream.Emitter[T]) error {
		if seq == nil {
			return nil
		}
		done := ctx.Done()
		n := 0
		stopped := false
		for v := range seq {
			if n%checkEvery == 0 && isDone(done) {
				stopped = true
				break
			}
			n++
			out.Emit(v)
		}
		if stopped {
			return ctx.Err()
		}
		return nil
	})
}

// Chan returns a source emitting what it receives from ch until ch is
// closed, which ends the input like the end of a bounded source (final
// watermark). While waiting it keeps the pipeline's processing time going
// (partial batches are flushed, idleness detected, timers fired), and it
// flushes what it gathered as soon as ch has nothing ready, so an element
// sent on ch reaches the stages after the source without waiting for a batch
// to fill. Run returns when the pipeline is cancelled even if ch stays open;
// elements still in ch are then left there. A nil ch never delivers: the
// source waits until cancellation.
func Chan[T any](ch <-chan T) stream.Source[T] {
	return stream.SourceFunc[T](func(ctx context.Context, out *stream.Emitter[T]) error {
		done := ctx.Done()
		ticks := out.Ticks()
		n := 0
		for {
			// Take what is ready without blocking; flush before waiting.
			select {
			case v, ok := <-ch:
				if !ok {
					return nil
				}
				out.Emit(v)
				if n++; n%checkEvery == 0 && isDone(done) {
					return ctx.Err()
				}
				continue
			default:
			}
			out.Flush()
			select {
			case v, ok := <-ch:
				if !ok {
					return nil
				}
				out.Emit(v)
			case now := <-ticks:
				out.Tick(now)
			case <-done:
				return ctx.Err()
			}
		}
	})
}

func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
