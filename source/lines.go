package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/weirhq/weir/stream"
)

// ReadOption configures the Reader sources (Lines, LineBytes, JSON,
// DecodeLines).
type ReadOption interface{ applyRead(*readConfig) }

type readConfig struct {
	maxLine int
}

type readOption func(*readConfig)

func (f readOption) applyRead(c *readConfig) { f(c) }

// DefaultMaxLineSize is the longest line the Reader sources accept unless
// MaxLineSize says otherwise.
const DefaultMaxLineSize = 1 << 20

const readBufferSize = 64 << 10

// MaxLineSize sets the longest line accepted, in bytes without the line end
// (default DefaultMaxLineSize). A longer line is an input error: it follows
// the source's error policy (its dead letter carries its first n bytes) and
// reading goes on with the next line. n < 1 means the default.
func MaxLineSize(n int) ReadOption { return readOption(func(c *readConfig) { c.maxLine = n }) }

// ErrLineTooLong is the cause of a LineError for a line longer than
// MaxLineSize.
var ErrLineTooLong = errors.New("source: line too long")

// SkipLine may be returned by a DecodeLines function to drop a line on
// purpose (a comment, a header). Like fs.SkipDir it is a signal, not a
// failure: the line is neither an element nor an error, and it is not
// counted.
var SkipLine = errors.New("source: skip line")

// LineError is the error of one input line that could not be turned into an
// element (or of the read that failed after it). Line counts from 1. The
// Reader sources pass it to the pipeline's error policy, so under FailOnError
// Run returns a *stream.StageError wrapping it, and errors.As finds both:
//
//	stream: stage "views": line 17: invalid character 'x' looking for beginning of value
type LineError struct {
	Line int64
	Err  error
}

// Error returns "line N: " and the cause.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// Lines returns a source emitting each line of r as a string, without its
// line end ("\n" or "\r\n"). Empty lines are elements (""); a last line
// without a line end is one too; an empty r ends at once. The source reads r
// until EOF and does not close it. See DecodeLines for batching, cancellation
// and errors.
func Lines(r io.Reader, opts ...ReadOption) stream.Source[string] {
	return DecodeLines(r, func(line []byte) (string, error) { return string(line), nil }, opts...)
}

// LineBytes is Lines with each line as a []byte of its own (a copy: the
// element may be kept and modified).
func LineBytes(r io.Reader, opts ...ReadOption) stream.Source[[]byte] {
	return DecodeLines(r, func(line []byte) ([]byte, error) { return bytes.Clone(line), nil }, opts...)
}

// JSON returns a source decoding newline-delimited JSON from r (one JSON
// value per line, as encoding/json.Unmarshal decodes it into a new T). Blank
// lines are skipped. A line that does not decode is an input error naming the
// line (see DecodeLines).
func JSON[T any](r io.Reader, opts ...ReadOption) stream.Source[T] {
	return DecodeLines(r, decodeJSON[T], opts...)
}

func decodeJSON[T any](line []byte) (T, error) {
	var v T
	if len(bytes.TrimSpace(line)) == 0 {
		return v, SkipLine
	}
	err := json.Unmarshal(line, &v)
	return v, err
}

// DecodeLines returns a source that reads r line by line and emits
// decode(line) for each, in order. line excludes the line end and is valid
// only during the call: decode must copy what it keeps. The source reads r
// until EOF and does not close it; it is meant for one Run.
//
// Input errors follow the error policy of the source's stage (stream.OnError
// on stream.From, or the pipeline's default). An error returned by decode,
// or a line longer than MaxLineSize, becomes a *LineError naming the line:
// under stream.FailOnError it stops the pipeline; under stream.SkipOnError it
// is counted in the stage's Errors metric; under stream.DeadLetterOnError a
// stream.DeadLetter carries the error, a copy of the line's bytes in Raw and
// Meta["line"]. decode may return SkipLine to drop a line on purpose. A read
// error of r fails the pipeline, as a *LineError naming the line it was
// reading.
//
// Elements are batched; whenever the source has consumed everything r has
// delivered so far, it flushes them downstream before reading on, so a slow
// or interactive r (a pipe, a socket) sees each line processed without
// waiting for a batch to fill. A Read that blocks cannot be interrupted: on
// cancellation the source returns after the Read in progress returns, so the
// caller must close a Reader that may block forever (a network connection)
// to stop the pipeline promptly.
func DecodeLines[T any](r io.Reader, decode func(line []byte) (T, error), opts ...ReadOption) stream.Source[T] {
	cfg := readConfig{maxLine: DefaultMaxLineSize}
	for _, o := range opts {
		if o != nil {
			o.applyRead(&cfg)
		}
	}
	if cfg.maxLine < 1 {
		cfg.maxLine = DefaultMaxLineSize
	}
	return stream.SourceFunc[T](func(ctx context.Context, out *stream.Emitter[T]) error {
		if r == nil {
			return fmt.Errorf("%w: source: nil io.Reader", stream.ErrInvalidPipeline)
		}
		if decode == nil {
			return fmt.Errorf("%w: source.DecodeLines: nil decode function", stream.ErrInvalidPipeline)
		}
		lr := &lineReader[T]{br: bufio.NewReaderSize(r, readBufferSize), max: cfg.maxLine, decode: decode, out: out}
		return lr.run(ctx)
	})
}

type lineReader[T any] struct {
	br     *bufio.Reader
	max    int
	decode func([]byte) (T, error)
	out    *stream.Emitter[T]
	n      int64  // current line number
	long   []byte // a line longer than the buffer, being assembled
	tooBig bool   // the current line exceeded max
}

func (lr *lineReader[T]) run(ctx context.Context) error {
	done := ctx.Done()
	for {
		if lr.br.Buffered() == 0 {
			// The next read may block: let what we have go downstream first.
			lr.out.Flush()
			if isDone(done) {
				return ctx.Err()
			}
		} else if lr.n%checkEvery == 0 && isDone(done) {
			return ctx.Err()
		}
		chunk, err := lr.br.ReadSlice('\n')
		switch {
		case err == nil:
			if e := lr.line(chunk[:len(chunk)-1]); e != nil {
				return e
			}
		case errors.Is(err, bufio.ErrBufferFull):
			lr.grow(chunk)
		default:
			// EOF or a read error: what came before it is the last line.
			if len(chunk) > 0 || len(lr.long) > 0 || lr.tooBig {
				if e := lr.line(chunk); e != nil {
					return e
				}
			}
			if err == io.EOF {
				return nil
			}
			return &LineError{Line: lr.n + 1, Err: err}
		}
	}
}

// grow adds a partial chunk of a line longer than the read buffer. It keeps
// up to max+1 bytes: the last may be the '\r' of a "\r\n" line end, which
// does not count.
func (lr *lineReader[T]) grow(chunk []byte) {
	if lr.tooBig {
		return
	}
	if keep := lr.max + 1; len(lr.long)+len(chunk) > keep {
		lr.long = append(lr.long, chunk[:keep-len(lr.long)]...)
		lr.tooBig = true
		return
	}
	lr.long = append(lr.long, chunk...)
}

// line handles one complete line (without its "\n") whose last chunk is
// chunk.
func (lr *lineReader[T]) line(chunk []byte) error {
	lr.n++
	b := chunk
	if len(lr.long) > 0 || lr.tooBig {
		lr.grow(chunk)
		b = lr.long
	}
	if !lr.tooBig && len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1] // the line end, not counted against max
	}
	var err error
	if len(b) > lr.max { // (a line grow cut short is max+1 bytes long)
		b = b[:lr.max]
		err = fmt.Errorf("%w (limit %d bytes)", ErrLineTooLong, lr.max)
	} else {
		var v T
		v, err = lr.decode(b)
		if err == nil {
			lr.out.Emit(v)
		} else if errors.Is(err, SkipLine) {
			err = nil
		}
	}
	if err != nil {
		meta := map[string]string{"line": strconv.FormatInt(lr.n, 10)}
		if rerr := lr.out.Reject(bytes.Clone(b), meta, &LineError{Line: lr.n, Err: err}); rerr != nil {
			return rerr
		}
	}
	lr.long, lr.tooBig = lr.long[:0], false
	if cap(lr.long) > 4*readBufferSize {
		lr.long = nil // do not hold on to one huge line's memory
	}
	return nil
}
