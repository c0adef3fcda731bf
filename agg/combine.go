package agg

import (
	"encoding/binary"
	"fmt"
)

// Combinators compute several aggregates in one pass: the accumulator holds
// one accumulator per component (Acc2, Acc3, Acc4), Add feeds each value to
// every component, and the result is built by a function of the component
// results, e.g. count + distinct users + p99 latency as one struct:
//
//	type Summary struct{ N int64; Users uint64; P99 float64 }
//	a := agg.Combine3(
//		agg.Count[Req](),
//		agg.Distinct(func(r Req) string { return r.User }),
//		agg.Percentile(func(r Req) float64 { return r.Latency }, 99),
//		func(n int64, users uint64, p99 float64) Summary { return Summary{n, users, p99} },
//	)
//
// A combined Aggregator implements Resetter (through each component's Reset,
// or Init for components without one) and Codec (each component's encoding,
// length-prefixed; it fails with ErrNoCodec if a component has no Codec).
// Nest combinators for more than four components.

// Acc2 is the accumulator of Combine2.
type Acc2[A1, A2 any] struct {
	A A1
	B A2
}

// Acc3 is the accumulator of Combine3.
type Acc3[A1, A2, A3 any] struct {
	A A1
	B A2
	C A3
}

// Acc4 is the accumulator of Combine4.
type Acc4[A1, A2, A3, A4 any] struct {
	A A1
	B A2
	C A3
	D A4
}

// part is the type-erased view of one component, used for reset and codec.
type part[A any] struct {
	init   func() A
	reset  func(*A)
	append func([]byte, *A) ([]byte, error)
	decode func([]byte) (A, error)
}

func partOf[T, A, R any](a Aggregator[T, A, R]) part[A] {
	p := part[A]{init: a.Init}
	if r, ok := a.(Resetter[A]); ok {
		p.reset = r.Reset
	} else {
		p.reset = func(acc *A) { *acc = a.Init() }
	}
	if c, ok := a.(Codec[A]); ok {
		p.append, p.decode = c.AppendAcc, c.DecodeAcc
	} else {
		p.append = func(dst []byte, _ *A) ([]byte, error) {
			return dst, fmt.Errorf("%w: component %T has no Codec", ErrNoCodec, a)
		}
		p.decode = func([]byte) (A, error) {
			var zero A
			return zero, fmt.Errorf("%w: component %T has no Codec", ErrNoCodec, a)
		}
	}
	return p
}

// appendPart appends a uvarint length and the component's encoding.
func appendPart[A any](dst []byte, p part[A], acc *A) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, binary.MaxVarintLen64)...) // room for the length
	body := len(dst)
	dst, err := p.append(dst, acc)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - body
	var l [binary.MaxVarintLen64]byte
	ln := binary.PutUvarint(l[:], uint64(n))
	copy(dst[start:], l[:ln])
	copy(dst[start+ln:], dst[body:])
	return dst[:start+ln+n], nil
}

func readPart[A any](src []byte, p part[A]) (A, []byte, error) {
	n, rest, err := readUvarint(src)
	if err != nil || n > uint64(len(rest)) {
		var zero A
		return zero, nil, fmt.Errorf("%w: bad component length", ErrCorrupt)
	}
	a, err := p.decode(rest[:n])
	return a, rest[n:], err
}

// Combine2 returns an Aggregator computing a and b in one pass and combining
// their results with f (called by Result, on each firing).
//
// The combination implements Subtractor when a and b both do.
func Combine2[T, A1, R1, A2, R2, R any](a Aggregator[T, A1, R1], b Aggregator[T, A2, R2], f func(R1, R2) R) Aggregator[T, Acc2[A1, A2], R] {
	c := comb2[T, A1, R1, A2, R2, R]{a, b, f, partOf(a), partOf(b)}
	sa, okA := a.(Subtractor[A1])
	sb, okB := b.(Subtractor[A2])
	if okA && okB {
		return comb2Sub[T, A1, R1, A2, R2, R]{c, sa, sb}
	}
	return c
}

type comb2Sub[T, A1, R1, A2, R2, R any] struct {
	comb2[T, A1, R1, A2, R2, R]
	sa Subtractor[A1]
	sb Subtractor[A2]
}

func (c comb2Sub[T, A1, R1, A2, R2, R]) Subtract(dst, src *Acc2[A1, A2]) {
	c.sa.Subtract(&dst.A, &src.A)
	c.sb.Subtract(&dst.B, &src.B)
}

type comb2[T, A1, R1, A2, R2, R any] struct {
	a  Aggregator[T, A1, R1]
	b  Aggregator[T, A2, R2]
	f  func(R1, R2) R
	pa part[A1]
	pb part[A2]
}

func (c comb2[T, A1, R1, A2, R2, R]) Init() Acc2[A1, A2] {
	return Acc2[A1, A2]{c.a.Init(), c.b.Init()}
}
func (c comb2[T, A1, R1, A2, R2, R]) Add(acc *Acc2[A1, A2], v T, ts int64) {
	c.a.Add(&acc.A, v, ts)
	c.b.Add(&acc.B, v, ts)
}
func (c comb2[T, A1, R1, A2, R2, R]) Merge(dst, src *Acc2[A1, A2]) {
	c.a.Merge(&dst.A, &src.A)
	c.b.Merge(&dst.B, &src.B)
}
func (c comb2[T, A1, R1, A2, R2, R]) Result(acc *Acc2[A1, A2]) R {
	return c.f(c.a.Result(&acc.A), c.b.Result(&acc.B))
}
func (c comb2[T, A1, R1, A2, R2, R]) Reset(acc *Acc2[A1, A2]) {
	c.pa.reset(&acc.A)
	c.pb.reset(&acc.B)
}
func (c comb2[T, A1, R1, A2, R2, R]) AppendAcc(dst []byte, acc *Acc2[A1, A2]) ([]byte, error) {
	dst, err := appendPart(dst, c.pa, &acc.A)
	if err != nil {
		return dst, err
	}
	return appendPart(dst, c.pb, &acc.B)
}
func (c comb2[T, A1, R1, A2, R2, R]) DecodeAcc(src []byte) (Acc2[A1, A2], error) {
	var acc Acc2[A1, A2]
	var err error
	if acc.A, src, err = readPart(src, c.pa); err != nil {
		return done(acc, nil, err)
	}
	acc.B, src, err = readPart(src, c.pb)
	return done(acc, src, err)
}

// Combine3 returns an Aggregator computing a, b and c in one pass and
// combining their results with f (called by Result, on each firing). It
// implements Subtractor when a, b and c all do.
func Combine3[T, A1, R1, A2, R2, A3, R3, R any](a Aggregator[T, A1, R1], b Aggregator[T, A2, R2], c Aggregator[T, A3, R3], f func(R1, R2, R3) R) Aggregator[T, Acc3[A1, A2, A3], R] {
	x := comb3[T, A1, R1, A2, R2, A3, R3, R]{a, b, c, f, partOf(a), partOf(b), partOf(c)}
	sa, okA := a.(Subtractor[A1])
	sb, okB := b.(Subtractor[A2])
	sc, okC := c.(Subtractor[A3])
	if okA && okB && okC {
		return comb3Sub[T, A1, R1, A2, R2, A3, R3, R]{x, sa, sb, sc}
	}
	return x
}

type comb3Sub[T, A1, R1, A2, R2, A3, R3, R any] struct {
	comb3[T, A1, R1, A2, R2, A3, R3, R]
	sa Subtractor[A1]
	sb Subtractor[A2]
	sc Subtractor[A3]
}

func (c comb3Sub[T, A1, R1, A2, R2, A3, R3, R]) Subtract(dst, src *Acc3[A1, A2, A3]) {
	c.sa.Subtract(&dst.A, &src.A)
	c.sb.Subtract(&dst.B, &src.B)
	c.sc.Subtract(&dst.C, &src.C)
}

type comb3[T, A1, R1, A2, R2, A3, R3, R any] struct {
	a  Aggregator[T, A1, R1]
	b  Aggregator[T, A2, R2]
	c  Aggregator[T, A3, R3]
	f  func(R1, R2, R3) R
	pa part[A1]
	pb part[A2]
	pc part[A3]
}

func (c comb3[T, A1, R1, A2, R2, A3, R3, R]) Init() Acc3[A1, A2, A3] {
	return Acc3[A1, A2, A3]{c.a.Init(), c.b.Init(), c.c.Init()}
}
func (c comb3[T, A1, R1, A2, R2, A3, R3, R]) Add(acc *Acc3[A1, A2, A3], v T, ts int64) {
	c.a.Add(&acc.A, v, ts)
	c.b.Add(&acc.B, v, ts)
	c.c.Add(&acc.C, v, ts)
}
func (c comb3[T, A1, R1, A2, R2, A3, R3, R]) Merge(dst, src *Acc3[A1, A2, A3]) {
	c.a.Merge(&dst.A, &src.A)
	c.b.Merge(&dst.B, &src.B)
	c.c.Merge(&dst.C, &src.C)
}
func (c comb3[T, A1, R1, A2, R2, A3, R3, R]) Result(acc *Acc3[A1, A2, A3]) R {
	return c.f(c.a.Result(&acc.A), c.b.Result(&acc.B), c.c.Result(&acc.C))
}
func (c comb3[T, A1, R1, A2, R2, A3, R3, R]) Reset(acc *Acc3[A1, A2, A3]) {
	c.pa.reset(&acc.A)
	c.pb.reset(&acc.B)
	c.pc.reset(&acc.C)
}
func (c comb3[T, A1, R1, A2, R2, A3, R3, R]) AppendAcc(dst []byte, acc *Acc3[A1, A2, A3]) ([]byte, error) {
	dst, err := appendPart(dst, c.pa, &acc.A)
	if err != nil {
		return dst, err
	}
	if dst, err = appendPart(dst, c.pb, &acc.B); err != nil {
		return dst, err
	}
	return appendPart(dst, c.pc, &acc.C)
}
func (c comb3[T, A1, R1, A2, R2, A3, R3, R]) DecodeAcc(src []byte) (Acc3[A1, A2, A3], error) {
	var acc Acc3[A1, A2, A3]
	var err error
	if acc.A, src, err = readPart(src, c.pa); err != nil {
		return done(acc, nil, err)
	}
	if acc.B, src, err = readPart(src, c.pb); err != nil {
		return done(acc, nil, err)
	}
	acc.C, src, err = readPart(src, c.pc)
	return done(acc, src, err)
}

// Combine4 returns an Aggregator computing a, b, c and d in one pass and
// combining their results with f (called by Result, on each firing). It
// implements Subtractor when all four do.
func Combine4[T, A1, R1, A2, R2, A3, R3, A4, R4, R any](a Aggregator[T, A1, R1], b Aggregator[T, A2, R2], c Aggregator[T, A3, R3], d Aggregator[T, A4, R4], f func(R1, R2, R3, R4) R) Aggregator[T, Acc4[A1, A2, A3, A4], R] {
	x := comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]{a, b, c, d, f, partOf(a), partOf(b), partOf(c), partOf(d)}
	sa, okA := a.(Subtractor[A1])
	sb, okB := b.(Subtractor[A2])
	sc, okC := c.(Subtractor[A3])
	sd, okD := d.(Subtractor[A4])
	if okA && okB && okC && okD {
		return comb4Sub[T, A1, R1, A2, R2, A3, R3, A4, R4, R]{x, sa, sb, sc, sd}
	}
	return x
}

type comb4Sub[T, A1, R1, A2, R2, A3, R3, A4, R4, R any] struct {
	comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]
	sa Subtractor[A1]
	sb Subtractor[A2]
	sc Subtractor[A3]
	sd Subtractor[A4]
}

func (c comb4Sub[T, A1, R1, A2, R2, A3, R3, A4, R4, R]) Subtract(dst, src *Acc4[A1, A2, A3, A4]) {
	c.sa.Subtract(&dst.A, &src.A)
	c.sb.Subtract(&dst.B, &src.B)
	c.sc.Subtract(&dst.C, &src.C)
	c.sd.Subtract(&dst.D, &src.D)
}

type comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R any] struct {
	a  Aggregator[T, A1, R1]
	b  Aggregator[T, A2, R2]
	c  Aggregator[T, A3, R3]
	d  Aggregator[T, A4, R4]
	f  func(R1, R2, R3, R4) R
	pa part[A1]
	pb part[A2]
	pc part[A3]
	pd part[A4]
}

func (c comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]) Init() Acc4[A1, A2, A3, A4] {
	return Acc4[A1, A2, A3, A4]{c.a.Init(), c.b.Init(), c.c.Init(), c.d.Init()}
}
func (c comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]) Add(acc *Acc4[A1, A2, A3, A4], v T, ts int64) {
	c.a.Add(&acc.A, v, ts)
	c.b.Add(&acc.B, v, ts)
	c.c.Add(&acc.C, v, ts)
	c.d.Add(&acc.D, v, ts)
}
func (c comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]) Merge(dst, src *Acc4[A1, A2, A3, A4]) {
	c.a.Merge(&dst.A, &src.A)
	c.b.Merge(&dst.B, &src.B)
	c.c.Merge(&dst.C, &src.C)
	c.d.Merge(&dst.D, &src.D)
}
func (c comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]) Result(acc *Acc4[A1, A2, A3, A4]) R {
	return c.f(c.a.Result(&acc.A), c.b.Result(&acc.B), c.c.Result(&acc.C), c.d.Result(&acc.D))
}
func (c comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]) Reset(acc *Acc4[A1, A2, A3, A4]) {
	c.pa.reset(&acc.A)
	c.pb.reset(&acc.B)
	c.pc.reset(&acc.C)
	c.pd.reset(&acc.D)
}
func (c comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]) AppendAcc(dst []byte, acc *Acc4[A1, A2, A3, A4]) ([]byte, error) {
	dst, err := appendPart(dst, c.pa, &acc.A)
	if err != nil {
		return dst, err
	}
	if dst, err = appendPart(dst, c.pb, &acc.B); err != nil {
		return dst, err
	}
	if dst, err = appendPart(dst, c.pc, &acc.C); err != nil {
		return dst, err
	}
	return appendPart(dst, c.pd, &acc.D)
}
func (c comb4[T, A1, R1, A2, R2, A3, R3, A4, R4, R]) DecodeAcc(src []byte) (Acc4[A1, A2, A3, A4], error) {
	var acc Acc4[A1, A2, A3, A4]
	var err error
	if acc.A, src, err = readPart(src, c.pa); err != nil {
		return done(acc, nil, err)
	}
	if acc.B, src, err = readPart(src, c.pb); err != nil {
		return done(acc, nil, err)
	}
	if acc.C, src, err = readPart(src, c.pc); err != nil {
		return done(acc, nil, err)
	}
	acc.D, src, err = readPart(src, c.pd)
	return done(acc, src, err)
}

// Map returns an Aggregator like a whose result is f of a's result (called by
// Result, on each firing). It implements Resetter and Codec as a does
// (failing with ErrNoCodec if a has no Codec), and Subtractor if a does.
func Map[T, A, R, S any](a Aggregator[T, A, R], f func(R) S) Aggregator[T, A, S] {
	m := mapAgg[T, A, R, S]{a, f, partOf(a)}
	if s, ok := a.(Subtractor[A]); ok {
		return mapSubAgg[T, A, R, S]{m, s}
	}
	return m
}

type mapSubAgg[T, A, R, S any] struct {
	mapAgg[T, A, R, S]
	s Subtractor[A]
}

func (m mapSubAgg[T, A, R, S]) Subtract(dst, src *A) { m.s.Subtract(dst, src) }

type mapAgg[T, A, R, S any] struct {
	a Aggregator[T, A, R]
	f func(R) S
	p part[A]
}

func (m mapAgg[T, A, R, S]) Init() A                         { return m.a.Init() }
func (m mapAgg[T, A, R, S]) Add(acc *A, v T, ts int64)       { m.a.Add(acc, v, ts) }
func (m mapAgg[T, A, R, S]) Merge(dst, src *A)               { m.a.Merge(dst, src) }
func (m mapAgg[T, A, R, S]) Result(acc *A) S                 { return m.f(m.a.Result(acc)) }
func (m mapAgg[T, A, R, S]) Reset(acc *A)                    { m.p.reset(acc) }
func (m mapAgg[T, A, R, S]) DecodeAcc(src []byte) (A, error) { return m.p.decode(src) }
func (m mapAgg[T, A, R, S]) AppendAcc(dst []byte, acc *A) ([]byte, error) {
	return m.p.append(dst, acc)
}
