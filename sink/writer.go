package sink

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/weirhq/weir/stream"
)

const writeBufferSize = 64 << 10

// JSONLines returns a sink writing each element to w as one line of JSON
// (encoding/json, HTML characters not escaped), in stream order. Output is
// buffered: it reaches w when the buffer fills and when the sink is flushed,
// which the runtime does at every checkpoint and when the stream ends (also
// after a cancelled run), so everything written before Run returns is in w. An element that
// does not encode, or an error from w, fails the pipeline. w is not closed;
// it is written from one goroutine at a time.
func JSONLines[T any](w io.Writer) stream.Sink[T] {
	bw := bufio.NewWriterSize(w, writeBufferSize)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &writerSink[T]{bw: bw, write: func(_ *bufio.Writer, v T) error { return enc.Encode(v) }}
}

// Lines returns a sink writing each element to w on a line of its own, as
// fmt.Println prints it (a fmt.Stringer's String, a time.Time's default
// format...). It is buffered and flushed like JSONLines. w is not closed.
func Lines[T any](w io.Writer) stream.Sink[T] {
	return &writerSink[T]{bw: bufio.NewWriterSize(w, writeBufferSize), write: func(bw *bufio.Writer, v T) error {
		_, err := fmt.Fprintln(bw, v)
		return err
	}}
}

type writerSink[T any] struct {
	bw    *bufio.Writer
	write func(*bufio.Writer, T) error
}

func (s *writerSink[T]) Write(_ context.Context, b []stream.Event[T]) error {
	for i := range b {
		if err := s.write(s.bw, b[i].Value); err != nil {
			return err
		}
	}
	return nil
}

func (s *writerSink[T]) Flush(context.Context) error { return s.bw.Flush() }
