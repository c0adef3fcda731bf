package sketch

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/bits-and-blooms/bloom/v3"
)

// Bloom is a Bloom filter of 64-bit hashes over
// github.com/bits-and-blooms/bloom/v3: the library holds the bit set, sizes
// it and merges it; the k bit positions of a hash are derived here by double
// hashing of the 64-bit hash (h1 = hash, h2 = splitmix64(hash)), which costs
// a few ns instead of the library's 128-bit murmur of a byte slice. So a
// Bloom answers for hashes (Hash, HashString, Hasher), and its bits are not
// compatible with the library's own Test([]byte).
//
// Memory: m/8 bytes with m = -n ln(fp) / ln(2)^2 bits (n = 1e6, fp = 1 %:
// 1.14 MiB; fp = 0.1 %: 1.71 MiB). There are no false negatives; the false
// positive rate after n adds is about fp and grows beyond that past n.
// A Bloom is not safe for concurrent use.
type Bloom struct {
	f *bloom.BloomFilter
	m uint64
	k uint64
}

// NewBloom returns a Bloom filter sized for n distinct hashes at false
// positive rate fp (0 < fp < 1; n == 0 counts as 1). It returns an error
// for fp outside (0, 1).
func NewBloom(n uint, fp float64) (*Bloom, error) {
	if !(fp > 0 && fp < 1) {
		return nil, fmt.Errorf("sketch: Bloom false-positive rate %v outside (0, 1): %w", fp, ErrIncompatible)
	}
	m, k := bloom.EstimateParameters(max(n, 1), fp)
	return newBloomMK(m, k), nil
}

func newBloomMK(m, k uint) *Bloom {
	m = (max(m, 1) + 63) &^ 63 // whole words, so every bit is addressable
	f := bloom.New(m, k)
	return &Bloom{f: f, m: uint64(f.Cap()), k: uint64(f.K())}
}

// Cap returns the number of bits m.
func (b *Bloom) Cap() uint { return uint(b.m) }

// K returns the number of bit positions per hash.
func (b *Bloom) K() uint { return uint(b.k) }

// Add adds a 64-bit hash. It does not allocate.
func (b *Bloom) Add(h uint64) {
	bs := b.f.BitSet()
	h2 := mix64(h) | 1
	for i := range b.k {
		hi, _ := bits.Mul64(h+i*h2, b.m)
		bs.Set(uint(hi))
	}
}

// Test reports whether h may have been added: false is certain, true is
// wrong with the filter's false-positive probability. It does not allocate.
func (b *Bloom) Test(h uint64) bool { return b.test(h, mix64(h)|1) }

func (b *Bloom) test(h, h2 uint64) bool {
	bs := b.f.BitSet()
	for i := range b.k {
		hi, _ := bits.Mul64(h+i*h2, b.m)
		if !bs.Test(uint(hi)) {
			return false
		}
	}
	return true
}

// TestAndAdd reports Test(h) and then adds h.
func (b *Bloom) TestAndAdd(h uint64) bool { return b.testAndAdd(h, mix64(h)|1) }

func (b *Bloom) testAndAdd(h, h2 uint64) bool {
	bs := b.f.BitSet()
	seen := true
	for i := range b.k {
		hi, _ := bits.Mul64(h+i*h2, b.m)
		if !bs.Test(uint(hi)) {
			seen = false
			bs.Set(uint(hi))
		}
	}
	return seen
}

// FillRatio returns the fraction of bits set; the current false-positive
// rate is about FillRatio^k.
func (b *Bloom) FillRatio() float64 {
	return float64(b.f.BitSet().Count()) / float64(b.m)
}

// EstimatedFP returns the current false-positive probability, FillRatio^k.
func (b *Bloom) EstimatedFP() float64 { return math.Pow(b.FillRatio(), float64(b.k)) }

// Merge sets b to the union of b and o (o unchanged; nil o is empty). Both
// must have the same m and k, else the error wraps ErrIncompatible.
func (b *Bloom) Merge(o *Bloom) error {
	if o == nil {
		return nil
	}
	if b.m != o.m || b.k != o.k {
		return fmt.Errorf("sketch: Bloom merge m=%d k=%d with m=%d k=%d: %w", b.m, b.k, o.m, o.k, ErrIncompatible)
	}
	return b.f.Merge(o.f)
}

// Clone returns a deep copy of b (nil for nil).
func (b *Bloom) Clone() *Bloom {
	if b == nil {
		return nil
	}
	return &Bloom{f: b.f.Copy(), m: b.m, k: b.k}
}

// Reset clears every bit, keeping the memory.
func (b *Bloom) Reset() { b.f.ClearAll() }

// Equal reports whether b and o have the same parameters and bits.
func (b *Bloom) Equal(o *Bloom) bool { return b.f.Equal(o.f) }

const bloomVersion = 1

// MarshalBinary returns AppendBinary(nil).
func (b *Bloom) MarshalBinary() ([]byte, error) { return b.AppendBinary(nil) }

// AppendBinary appends b's encoding: a version byte, uvarint m and k, then
// the m/64 words little-endian.
func (b *Bloom) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, bloomVersion)
	dst = binary.AppendUvarint(dst, b.m)
	dst = binary.AppendUvarint(dst, b.k)
	for _, w := range b.f.BitSet().Words() {
		dst = binary.LittleEndian.AppendUint64(dst, w)
	}
	return dst, nil
}

// UnmarshalBinary replaces b with the filter encoded in data. On error
// (wrapping ErrCorrupt) b is unchanged.
func (b *Bloom) UnmarshalBinary(data []byte) error {
	n, rest, err := decodeBloom(data)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d trailing bytes after Bloom", ErrCorrupt, len(rest))
	}
	*b = *n
	return nil
}

func decodeBloom(data []byte) (*Bloom, []byte, error) {
	if len(data) < 1 || data[0] != bloomVersion {
		return nil, nil, fmt.Errorf("%w: Bloom version", ErrCorrupt)
	}
	data = data[1:]
	m, n := binary.Uvarint(data)
	if n <= 0 || m == 0 || m%64 != 0 || m > 1<<40 {
		return nil, nil, fmt.Errorf("%w: Bloom m", ErrCorrupt)
	}
	data = data[n:]
	k, n := binary.Uvarint(data)
	if n <= 0 || k == 0 || k > 64 {
		return nil, nil, fmt.Errorf("%w: Bloom k", ErrCorrupt)
	}
	data = data[n:]
	words := m / 64
	if uint64(len(data)) < words*8 {
		return nil, nil, fmt.Errorf("%w: Bloom bits truncated", ErrCorrupt)
	}
	bs := make([]uint64, words)
	for i := range bs {
		bs[i] = binary.LittleEndian.Uint64(data[i*8:])
	}
	f := bloom.FromWithM(bs, uint(m), uint(k))
	return &Bloom{f: f, m: m, k: k}, data[words*8:], nil
}
