package agg

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
)

// valCodec encodes values of an arbitrary type V for checkpoints: basic kinds
// through reflect, others through encoding.BinaryMarshaler/Unmarshaler.
type valCodec[V any] struct {
	kind reflect.Kind // reflect.Invalid: no encoding
	bin  bool         // V or *V implements encoding.BinaryMarshaler
	ptr  bool         // only *V does
}

var (
	binMarshaler   = reflect.TypeFor[encoding.BinaryMarshaler]()
	binUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

func newValCodec[V any]() valCodec[V] {
	t := reflect.TypeFor[V]()
	if reflect.PointerTo(t).Implements(binUnmarshaler) {
		if t.Implements(binMarshaler) {
			return valCodec[V]{bin: true}
		}
		if reflect.PointerTo(t).Implements(binMarshaler) {
			return valCodec[V]{bin: true, ptr: true}
		}
	}
	switch k := t.Kind(); k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return valCodec[V]{kind: k}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return valCodec[V]{kind: k}
		}
	}
	return valCodec[V]{}
}

func (c valCodec[V]) append(dst []byte, v V) ([]byte, error) {
	if c.bin {
		m, _ := any(v).(encoding.BinaryMarshaler)
		if c.ptr {
			m = any(&v).(encoding.BinaryMarshaler)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return dst, err
		}
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...), nil
	}
	rv := reflect.ValueOf(&v).Elem()
	switch c.kind {
	case reflect.String:
		s := rv.String()
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...), nil
	case reflect.Slice:
		b := rv.Bytes()
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...), nil
	case reflect.Bool:
		if rv.Bool() {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(dst, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(dst, rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return appendF64(dst, rv.Float()), nil
	}
	return dst, fmt.Errorf("%w: %v", ErrNoCodec, reflect.TypeFor[V]())
}

func (c valCodec[V]) read(src []byte) (V, []byte, error) {
	var v V
	bytesOf := func() ([]byte, error) {
		l, rest, err := readUvarint(src)
		if err != nil || l > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: bad length", ErrCorrupt)
		}
		b := rest[:l]
		src = rest[l:]
		return b, nil
	}
	if c.bin {
		b, err := bytesOf()
		if err != nil {
			return v, nil, err
		}
		if err := any(&v).(encoding.BinaryUnmarshaler).UnmarshalBinary(b); err != nil {
			return v, nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return v, src, nil
	}
	rv := reflect.ValueOf(&v).Elem()
	switch c.kind {
	case reflect.String:
		b, err := bytesOf()
		if err != nil {
			return v, nil, err
		}
		rv.SetString(string(b))
		return v, src, nil
	case reflect.Slice:
		b, err := bytesOf()
		if err != nil {
			return v, nil, err
		}
		rv.SetBytes(append([]byte(nil), b...))
		return v, src, nil
	case reflect.Bool:
		if len(src) < 1 || src[0] > 1 {
			return v, nil, fmt.Errorf("%w: bad bool", ErrCorrupt)
		}
		rv.SetBool(src[0] == 1)
		return v, src[1:], nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, rest, err := readVarint(src)
		if err != nil || rv.OverflowInt(x) {
			return v, nil, fmt.Errorf("%w: bad integer", ErrCorrupt)
		}
		rv.SetInt(x)
		return v, rest, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, rest, err := readUvarint(src)
		if err != nil || rv.OverflowUint(x) {
			return v, nil, fmt.Errorf("%w: bad integer", ErrCorrupt)
		}
		rv.SetUint(x)
		return v, rest, nil
	case reflect.Float32, reflect.Float64:
		x, rest, err := readF64(src)
		if err != nil {
			return v, nil, err
		}
		if c.kind == reflect.Float32 && !math.IsNaN(x) && !math.IsInf(x, 0) && rv.OverflowFloat(x) {
			return v, nil, fmt.Errorf("%w: bad float32", ErrCorrupt)
		}
		rv.SetFloat(x)
		return v, rest, nil
	}
	return v, nil, fmt.Errorf("%w: %v", ErrNoCodec, reflect.TypeFor[V]())
}

// Stamped is the accumulator of First and Last: a value, its event time and
// whether there was any value.
type Stamped[V any] struct {
	v  V
	ts int64
	ok bool
}

// Value returns the value, its event time and false if none was added.
func (s Stamped[V]) Value() (v V, ts int64, ok bool) { return s.v, s.ts, s.ok }

// First returns an Aggregator of f(v) for the value with the earliest event
// time. Ties: the first arrival wins (an equal time never replaces), and
// Merge treats dst as the earlier arrival. The result of an empty
// accumulator is V's zero value (use Stamped.Value to tell). Checkpointing
// needs V to be encodable (see ErrNoCodec).
func First[T, V any](f func(T) V) Aggregator[T, Stamped[V], V] {
	return stampAgg[T, V]{f: f, c: newValCodec[V]()}
}

// Last returns an Aggregator of f(v) for the value with the latest event
// time. Ties: the last arrival wins (an equal time replaces), and Merge treats
// src as the later arrival. The result of an empty accumulator is V's zero
// value (use Stamped.Value to tell). Checkpointing needs V to be encodable.
func Last[T, V any](f func(T) V) Aggregator[T, Stamped[V], V] {
	return stampAgg[T, V]{f: f, c: newValCodec[V](), last: true}
}

type stampAgg[T, V any] struct {
	f    func(T) V
	c    valCodec[V]
	last bool
}

func (stampAgg[T, V]) Init() Stamped[V] { return Stamped[V]{} }

func (a stampAgg[T, V]) wins(acc *Stamped[V], ts int64) bool {
	if !acc.ok {
		return true
	}
	if a.last {
		return ts >= acc.ts
	}
	return ts < acc.ts
}

func (a stampAgg[T, V]) Add(acc *Stamped[V], v T, ts int64) {
	if a.wins(acc, ts) {
		*acc = Stamped[V]{v: a.f(v), ts: ts, ok: true}
	}
}

func (a stampAgg[T, V]) Merge(dst, src *Stamped[V]) {
	if src.ok && a.wins(dst, src.ts) {
		*dst = *src
	}
}

func (stampAgg[T, V]) Result(acc *Stamped[V]) V { return acc.v }
func (stampAgg[T, V]) Reset(acc *Stamped[V])    { *acc = Stamped[V]{} }

func (a stampAgg[T, V]) AppendAcc(dst []byte, acc *Stamped[V]) ([]byte, error) {
	if !acc.ok {
		return append(dst, 0), nil
	}
	dst = binary.AppendVarint(append(dst, 1), acc.ts)
	return a.c.append(dst, acc.v)
}

func (a stampAgg[T, V]) DecodeAcc(src []byte) (Stamped[V], error) {
	if len(src) == 1 && src[0] == 0 {
		return Stamped[V]{}, nil
	}
	if len(src) < 1 || src[0] != 1 {
		return done(Stamped[V]{}, nil, ErrCorrupt)
	}
	ts, rest, err := readVarint(src[1:])
	if err != nil {
		return done(Stamped[V]{}, nil, err)
	}
	v, rest, err := a.c.read(rest)
	return done(Stamped[V]{v: v, ts: ts, ok: true}, rest, err)
}

// DistinctExact returns an Aggregator of the exact number of distinct f(v),
// kept in a map: memory grows with the number of distinct values (about 50
// bytes each for string keys), so use it for small sets and Distinct beyond.
// Add allocates only when the map grows. NaN float keys are each distinct
// (as in Go maps). Checkpointing needs V to be encodable (see ErrNoCodec).
func DistinctExact[T any, V comparable](f func(T) V) Aggregator[T, map[V]struct{}, int] {
	return exactAgg[T, V]{f: f, c: newValCodec[V]()}
}

type exactAgg[T any, V comparable] struct {
	f func(T) V
	c valCodec[V]
}

func (exactAgg[T, V]) Init() map[V]struct{} { return map[V]struct{}{} }
func (a exactAgg[T, V]) Add(acc *map[V]struct{}, v T, _ int64) {
	if *acc == nil {
		*acc = map[V]struct{}{}
	}
	(*acc)[a.f(v)] = struct{}{}
}
func (exactAgg[T, V]) Merge(dst, src *map[V]struct{}) {
	if *dst == nil {
		*dst = make(map[V]struct{}, len(*src))
	}
	for k := range *src {
		(*dst)[k] = struct{}{}
	}
}
func (exactAgg[T, V]) Result(acc *map[V]struct{}) int { return len(*acc) }
func (exactAgg[T, V]) Reset(acc *map[V]struct{})      { clear(*acc) }

func (a exactAgg[T, V]) AppendAcc(dst []byte, acc *map[V]struct{}) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(len(*acc)))
	var err error
	for k := range *acc {
		if dst, err = a.c.append(dst, k); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func (a exactAgg[T, V]) DecodeAcc(src []byte) (map[V]struct{}, error) {
	n, rest, err := readUvarint(src)
	if err != nil || n > uint64(len(rest)) {
		return done[map[V]struct{}](nil, nil, fmt.Errorf("%w: bad count", ErrCorrupt))
	}
	m := make(map[V]struct{}, n)
	for range n {
		var k V
		if k, rest, err = a.c.read(rest); err != nil {
			return done[map[V]struct{}](nil, nil, err)
		}
		m[k] = struct{}{}
	}
	return done(m, rest, nil)
}
