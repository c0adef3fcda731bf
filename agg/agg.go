package agg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Aggregator describes an incremental aggregation of values of type T into an
// accumulator of type A, producing a result of type R.
//
// Accumulators are values owned by the caller (stored in maps or slices by
// the window operator) and mutated in place through pointers. The contract:
//   - Init returns a fresh, empty accumulator; every accumulator passed to
//     the other methods came from Init (or DecodeAcc) of the same Aggregator.
//   - Add folds v, with event time ts (Unix nanoseconds), into acc. The
//     built-ins do not allocate in Add (DistinctExact and the sketch-backed
//     ones only when their storage grows).
//   - Merge sets dst to the aggregation of both inputs; src is left unchanged
//     and still usable. For the built-ins Merge is commutative and
//     associative (exactly, or within the sketch's bounds; First and Last
//     treat dst as the earlier arrival on equal event times).
//   - Result computes the result without changing acc (sketch-backed ones may
//     compact or cache internally), and may be called many times (early and
//     late firings).
//
// An Aggregator value is immutable and safe for concurrent use by many
// goroutines; an accumulator is not: it belongs to one goroutine at a time.
type Aggregator[T, A, R any] interface {
	Init() A
	Add(acc *A, v T, ts int64)
	Merge(dst, src *A)
	Result(acc *A) R
}

// Resetter is implemented by Aggregators that can empty an accumulator in
// place, reusing its memory (all built-ins do). Reset(acc) is equivalent to
// *acc = Init() without the allocation.
type Resetter[A any] interface {
	Reset(acc *A)
}

// Subtractor is implemented by Aggregators whose Merge can be undone
// exactly: Subtract(dst, src), where src's elements were merged into dst
// earlier, leaves dst as if they never had been, whatever was merged into or
// subtracted from dst in between. Merge must then be addition in an abelian
// group, as for integer counts and sums (integer wrap-around included).
//
// Sliding windows use it to slide each key's aggregate (merge the panes
// entering, subtract those leaving) instead of keeping partial merges: two
// accumulator calls per key and slide, whatever size/slide. Count and Sum
// over integers implement it; floating-point sums do not (rounding would
// make a window's result depend on the windows before it), nor do Min, Max
// or the sketches.
type Subtractor[A any] interface {
	Subtract(dst, src *A)
}

// Codec is implemented by Aggregators whose accumulators can be serialized
// for checkpoints (all built-ins do). AppendAcc appends acc's encoding to dst;
// DecodeAcc returns a new accumulator equal to the encoded one (its result
// and merge behaviour are the same) and must consume all of src. Errors wrap
// ErrCorrupt (bad input) or ErrNoCodec (a value type without an encoding).
type Codec[A any] interface {
	AppendAcc(dst []byte, acc *A) ([]byte, error)
	DecodeAcc(src []byte) (A, error)
}

// ErrCorrupt is wrapped by DecodeAcc when its input is not a valid encoding.
var ErrCorrupt = errors.New("agg: corrupt accumulator encoding")

// ErrNoCodec is wrapped by AppendAcc and DecodeAcc when a value held by the
// accumulator (First, Last, DistinctExact) has no encoding: only strings,
// byte slices, bools, integers, floats (and named types based on them) and
// types implementing encoding.BinaryMarshaler and (by pointer)
// encoding.BinaryUnmarshaler are encoded.
var ErrNoCodec = errors.New("agg: no encoding for the value type")

// Number is the set of numeric types Sum, Min, Max, Mean, Variance, StdDev,
// Quantiles and Percentile accept.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

func isFloat[N Number]() bool {
	var x N = 1
	x /= 2
	return x != 0
}

// appendNum encodes n: floats as 8 bytes (float64 bits, little-endian),
// integers as a zigzag varint of their int64 conversion (bit-preserving for
// every integer kind).
func appendNum[N Number](dst []byte, n N) []byte {
	if isFloat[N]() {
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(float64(n)))
	}
	return binary.AppendVarint(dst, int64(n))
}

func readNum[N Number](src []byte) (N, []byte, error) {
	if isFloat[N]() {
		if len(src) < 8 {
			return 0, nil, fmt.Errorf("%w: short float", ErrCorrupt)
		}
		return N(math.Float64frombits(binary.LittleEndian.Uint64(src))), src[8:], nil
	}
	v, n := binary.Varint(src)
	if n <= 0 || int64(N(v)) != v {
		return 0, nil, fmt.Errorf("%w: bad integer", ErrCorrupt)
	}
	return N(v), src[n:], nil
}

func readUvarint(src []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: bad uvarint", ErrCorrupt)
	}
	return v, src[n:], nil
}

func readVarint(src []byte) (int64, []byte, error) {
	v, n := binary.Varint(src)
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: bad varint", ErrCorrupt)
	}
	return v, src[n:], nil
}

func readF64(src []byte) (float64, []byte, error) {
	if len(src) < 8 {
		return 0, nil, fmt.Errorf("%w: short float", ErrCorrupt)
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(src)), src[8:], nil
}

func appendF64(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

func done[A any](a A, rest []byte, err error) (A, error) {
	if err != nil {
		var zero A
		return zero, err
	}
	if len(rest) != 0 {
		var zero A
		return zero, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(rest))
	}
	return a, nil
}
