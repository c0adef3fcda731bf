package sketch

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// CountMin is a Count-Min sketch (Cormode and Muthukrishnan) of 64-bit
// hashes with uint64 counters: d = ceil(ln(1/δ)) rows of w = ceil(e/ε)
// counters. Row i's counter for a hash is chosen by splitmix64(hash ^ seed_i).
//
// Guarantee: with N the total weight added, Count(h) >= the true count of h
// always, and Count(h) <= true + ε·N with probability >= 1-δ (for each query).
// Merge sums counters, so merge(a, b) is exactly the sketch of the union and
// is commutative and associative. Memory: 8·w·d bytes (ε = 0.1 %, δ = 1 %:
// w = 2719, d = 5, 106 KiB). A CountMin is not safe for concurrent use.
type CountMin struct {
	w, d  uint64
	total uint64
	c     []uint64
}

// NewCountMin returns an empty Count-Min sketch with error ε (0 < ε < 1)
// and failure probability δ (0 < δ < 1).
func NewCountMin(epsilon, delta float64) (*CountMin, error) {
	if !(epsilon > 0 && epsilon < 1) || !(delta > 0 && delta < 1) {
		return nil, fmt.Errorf("sketch: CountMin ε=%v δ=%v outside (0, 1): %w", epsilon, delta, ErrIncompatible)
	}
	w := uint64(math.Ceil(math.E / epsilon))
	d := uint64(math.Ceil(math.Log(1 / delta)))
	return &CountMin{w: w, d: max(d, 1), c: make([]uint64, w*max(d, 1))}, nil
}

// Width returns w, the counters per row.
func (s *CountMin) Width() int { return int(s.w) }

// Depth returns d, the number of rows.
func (s *CountMin) Depth() int { return int(s.d) }

// Epsilon returns e/w, the error bound per unit of total weight.
func (s *CountMin) Epsilon() float64 { return math.E / float64(s.w) }

// Delta returns e^-d, the probability that a query exceeds the bound.
func (s *CountMin) Delta() float64 { return math.Exp(-float64(s.d)) }

// Total returns N, the total weight added.
func (s *CountMin) Total() uint64 { return s.total }

var cmSeeds = [...]uint64{
	0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9, 0xd6e8feb86659fd93,
	0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53, 0x27d4eb2f165667c5, 0x85ebca6b0b4dc7a5,
}

func cmIndex(h uint64, row, w uint64) uint64 {
	s := cmSeeds[row%uint64(len(cmSeeds))] + row/uint64(len(cmSeeds))
	hi, _ := bits.Mul64(mix64(h^s), w)
	return hi
}

// Add adds weight n to hash h (counters wrap past 2^64-1). It does not
// allocate.
func (s *CountMin) Add(h uint64, n uint64) {
	s.total += n
	for r := range s.d {
		s.c[r*s.w+cmIndex(h, r, s.w)] += n
	}
}

// Count returns the estimated weight of h: an overestimate, see the type.
// It returns 0 for an empty sketch.
func (s *CountMin) Count(h uint64) uint64 {
	m := uint64(math.MaxUint64)
	for r := range s.d {
		m = min(m, s.c[r*s.w+cmIndex(h, r, s.w)])
	}
	return m
}

// Merge adds o's counts to s (o unchanged; nil o is empty). Both must have
// the same w and d, else the error wraps ErrIncompatible.
func (s *CountMin) Merge(o *CountMin) error {
	if o == nil {
		return nil
	}
	if s.w != o.w || s.d != o.d {
		return fmt.Errorf("sketch: CountMin merge %dx%d with %dx%d: %w", s.d, s.w, o.d, o.w, ErrIncompatible)
	}
	for i, v := range o.c {
		s.c[i] += v
	}
	s.total += o.total
	return nil
}

// Clone returns a deep copy of s (nil for nil).
func (s *CountMin) Clone() *CountMin {
	if s == nil {
		return nil
	}
	c := *s
	c.c = append([]uint64(nil), s.c...)
	return &c
}

// Reset zeroes s, keeping its memory.
func (s *CountMin) Reset() {
	clear(s.c)
	s.total = 0
}

// Equal reports whether s and o have the same dimensions and counters.
func (s *CountMin) Equal(o *CountMin) bool {
	if s.w != o.w || s.d != o.d || s.total != o.total {
		return false
	}
	for i := range s.c {
		if s.c[i] != o.c[i] {
			return false
		}
	}
	return true
}

const countMinVersion = 1

// MarshalBinary returns AppendBinary(nil).
func (s *CountMin) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// AppendBinary appends s's encoding: version, uvarint w, d, total, then the
// w·d counters as uvarints (row-major).
func (s *CountMin) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, countMinVersion)
	b = binary.AppendUvarint(b, s.w)
	b = binary.AppendUvarint(b, s.d)
	b = binary.AppendUvarint(b, s.total)
	for _, v := range s.c {
		b = binary.AppendUvarint(b, v)
	}
	return b, nil
}

// UnmarshalBinary replaces s with the sketch encoded in data. On error
// (wrapping ErrCorrupt) s is unchanged.
func (s *CountMin) UnmarshalBinary(data []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: CountMin %s", ErrCorrupt, what) }
	if len(data) < 1 || data[0] != countMinVersion {
		return bad("version")
	}
	d := newDecoder(data[1:])
	w, depth, total := d.uvarint(), d.uvarint(), d.uvarint()
	if !d.ok {
		return bad("header")
	}
	if w == 0 || depth == 0 || depth > 64 || w > 1<<26 || uint64(len(d.b)) < w*depth {
		return bad("dimensions")
	}
	c := make([]uint64, w*depth)
	for i := range c {
		c[i] = d.uvarint()
	}
	if !d.ok {
		return bad("counters")
	}
	if len(d.b) != 0 {
		return bad("trailing bytes")
	}
	*s = CountMin{w: w, d: depth, total: total, c: c}
	return nil
}
