package sketch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/axiomhq/hyperloglog"
)

// ErrIncompatible is returned (wrapped) by Merge when two sketches were built
// with different parameters (precision, size, accuracy) and cannot be merged.
var ErrIncompatible = errors.New("sketch: incompatible parameters")

// ErrCorrupt is returned (wrapped) by UnmarshalBinary for data that is not a
// valid encoding of the sketch.
var ErrCorrupt = errors.New("sketch: corrupt encoding")

// DefaultHLLPrecision is the precision of NewHLL(0) and of a zero HLL:
// 2^14 registers, 16 KiB dense, standard error 1.04/sqrt(2^14) = 0.81 %.
const DefaultHLLPrecision = 14

// HLL is a HyperLogLog distinct-count estimator with 2^p registers over
// github.com/axiomhq/hyperloglog.
//
// Representation: while the estimated cardinality is below 2^p/8 the set is
// held by the library's sparse representation (25-bit precision hashes,
// delta-varint compressed: about 3 bytes per distinct hash, near-exact
// estimates). Above that it switches once and for all to dense registers held
// here: 2^p bytes plus a 64-entry histogram of register values, kept up to
// date on every register change, so Estimate costs O(64) instead of the
// library's O(2^p) (about 0.1 us instead of 0.5 ms at p=14) and is cached until
// the next change. Register values equal the library's exactly (same index and
// rank functions), and the encoding is the library's binary format, so either
// side can read the other's checkpoints.
//
// Error: relative standard error 1.04/sqrt(2^p) (p=14: 0.81 %, p=16: 0.41 %);
// the sparse phase is far more precise. Memory: dense 2^p + 256 bytes (p=14:
// 16.3 KiB); sparse about 3 bytes per distinct value plus a small buffer.
//
// The zero HLL is an empty sketch of DefaultHLLPrecision. An HLL is not safe
// for concurrent use, including Estimate (which may compact the sparse form
// and caches its result); Clone it to hand it to another goroutine.
type HLL struct {
	p       uint8
	sparse  *hyperloglog.Sketch // non-nil while sparse
	regs    []uint8             // dense registers, len 1<<p, once dense
	hist    [64]uint32          // dense: hist[v] = number of registers == v
	pending int                 // sparse: adds since the last size check
	est     uint64
	estOK   bool
}

// NewHLL returns an empty HLL with 2^precision registers; precision 0 means
// DefaultHLLPrecision. It returns an error for a precision outside [4, 18].
func NewHLL(precision uint8) (*HLL, error) {
	if precision == 0 {
		precision = DefaultHLLPrecision
	}
	if precision < 4 || precision > 18 {
		return nil, fmt.Errorf("sketch: HLL precision %d outside [4, 18]: %w", precision, ErrIncompatible)
	}
	return &HLL{p: precision}, nil
}

func (h *HLL) init() {
	if h.p == 0 {
		h.p = DefaultHLLPrecision
	}
	if h.sparse == nil && h.regs == nil {
		h.sparse, _ = hyperloglog.NewSketch(h.p, true)
	}
}

// Precision returns log2 of the number of registers.
func (h *HLL) Precision() uint8 {
	if h.p == 0 {
		return DefaultHLLPrecision
	}
	return h.p
}

// Sparse reports whether h still uses the sparse representation.
func (h *HLL) Sparse() bool { return h.regs == nil }

func (h *HLL) threshold() int { return 1 << h.p >> 3 }

// Add adds a 64-bit hash (see Hash, HashString, Hasher) to h. Adding the same
// hash again has no effect. It does not allocate in the dense form; the
// sparse form allocates only while its buffers grow (amortised, well below
// one allocation per 100 adds).
func (h *HLL) Add(hash uint64) {
	if r := h.regs; r != nil {
		p := h.p
		i := hash >> (64 - p)
		rho := uint8(bits.LeadingZeros64(hash<<p|1<<(p-1))) + 1
		if old := r[i]; rho > old {
			h.hist[old]--
			h.hist[rho]++
			r[i] = rho
			h.estOK = false
		}
		return
	}
	h.init()
	h.sparse.InsertHash(hash)
	h.estOK = false
	h.pending++
	// Check the size only every so often: a check compacts the sparse list.
	if h.pending >= max(h.threshold()/8, h.threshold()-int(h.est)) {
		h.checkSize()
	}
}

// checkSize converts to dense once the sparse set is big enough.
func (h *HLL) checkSize() {
	h.pending = 0
	h.est = h.sparse.Estimate()
	h.estOK = true
	if h.est > uint64(h.threshold()) {
		h.toDense()
	}
}

// sparseRegs returns the dense registers equivalent to a sparse sketch.
func sparseRegs(p uint8, sk *hyperloglog.Sketch) []uint8 {
	d, _ := hyperloglog.NewSketch(p, false)
	if err := d.Merge(sk); err != nil {
		panic(err) // same precision by construction
	}
	b, err := d.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b[8:] // v2 dense layout: 8-byte header, then 2^p registers
}

func (h *HLL) toDense() {
	h.regs = sparseRegs(h.p, h.sparse)
	h.sparse = nil
	h.rebuildHist()
}

func (h *HLL) rebuildHist() {
	h.hist = [64]uint32{}
	for _, v := range h.regs {
		h.hist[v]++
	}
	h.estOK = false
}

// Estimate returns the estimated number of distinct hashes added (0 for an
// empty sketch). The result is cached until the next change; computing it
// costs about 0.1 us dense and O(n) for a sparse set of n values.
func (h *HLL) Estimate() uint64 {
	if h.estOK {
		return h.est
	}
	switch {
	case h.regs != nil:
		m := float64(uint64(1) << h.p)
		var sum float64
		for v, c := range h.hist {
			if c != 0 {
				sum += float64(c) * math.Ldexp(1, -v)
			}
		}
		ez := float64(h.hist[0])
		alpha := 0.7213 / (1 + 1.079/m)
		switch m {
		case 16:
			alpha = 0.673
		case 32:
			alpha = 0.697
		case 64:
			alpha = 0.709
		}
		h.est = uint64(alpha*m*(m-ez)/(sum+axBeta(h.p, ez)) + 0.5)
	case h.sparse != nil:
		h.est = h.sparse.Estimate()
		h.pending = 0
		if h.est > uint64(h.threshold()) {
			h.toDense()
			return h.Estimate()
		}
	default:
		h.est = 0
	}
	h.estOK = true
	return h.est
}

// Merge sets h to the union of h and o; o is unchanged. A nil o is empty. A
// zero HLL adopts o's precision. It returns an error wrapping ErrIncompatible,
// leaving h unchanged, when the precisions differ.
func (h *HLL) Merge(o *HLL) error {
	if o == nil || (o.sparse == nil && o.regs == nil) {
		return nil
	}
	if h.p == 0 {
		h.p = o.p
	}
	h.init()
	if h.p != o.p {
		return fmt.Errorf("sketch: HLL merge precision %d with %d: %w", h.p, o.p, ErrIncompatible)
	}
	if h.regs == nil && o.regs == nil {
		if err := h.sparse.Merge(o.sparse); err != nil {
			return err
		}
		h.checkSize()
		return nil
	}
	if h.regs == nil {
		h.toDense()
	}
	src := o.regs
	if src == nil {
		src = sparseRegs(o.p, o.sparse)
	}
	r := h.regs[:len(src)]
	for i, v := range src {
		if old := r[i]; v > old {
			h.hist[old]--
			h.hist[v]++
			r[i] = v
			h.estOK = false
		}
	}
	return nil
}

// Clone returns a deep copy of h (nil for a nil h).
func (h *HLL) Clone() *HLL {
	if h == nil {
		return nil
	}
	c := *h
	if h.sparse != nil {
		c.sparse = h.sparse.Clone()
	}
	if h.regs != nil {
		c.regs = append([]uint8(nil), h.regs...)
	}
	return &c
}

// Reset empties h, keeping its precision, representation and memory.
func (h *HLL) Reset() {
	switch {
	case h.regs != nil:
		clear(h.regs)
		h.hist = [64]uint32{}
		h.hist[0] = uint32(len(h.regs))
	case h.sparse != nil:
		h.sparse.Reset()
	}
	h.pending, h.est, h.estOK = 0, 0, true
}

// MarshalBinary returns AppendBinary(nil).
func (h *HLL) MarshalBinary() ([]byte, error) { return h.AppendBinary(nil) }

// AppendBinary appends the encoding of h to b: github.com/axiomhq/hyperloglog's
// version 2 binary format (sparse or dense), readable by that library too.
// The encoding of a sparse sketch is not canonical (it depends on insertion
// order and compaction): compare estimates or registers, not bytes.
func (h *HLL) AppendBinary(b []byte) ([]byte, error) {
	h.init()
	if h.regs == nil {
		return h.sparse.AppendBinary(b)
	}
	m := len(h.regs)
	b = append(b, 2, h.p, 0, 0, byte(m>>24), byte(m>>16), byte(m>>8), byte(m))
	return append(b, h.regs...), nil
}

// UnmarshalBinary replaces h with the sketch encoded in data (as written by
// AppendBinary or by github.com/axiomhq/hyperloglog, versions 1 and 2). On
// error h is unchanged and the error wraps ErrCorrupt.
func (h *HLL) UnmarshalBinary(data []byte) error {
	if len(data) >= 8 && data[0] == 2 && data[2] == 0 && data[3] == 0 && data[1] >= 4 && data[1] <= 18 &&
		len(data) == 8+1<<data[1] && int(binary.BigEndian.Uint32(data[4:8])) == 1<<data[1] {
		// Version 2 dense, the common case: validated and copied here.
		p := data[1]
		for _, v := range data[8:] {
			if v > 65-p {
				return fmt.Errorf("%w: HLL register %d exceeds %d", ErrCorrupt, v, 65-p)
			}
		}
		n := HLL{p: p, regs: bytes.Clone(data[8:])}
		n.rebuildHist()
		*h = n
		return nil
	}
	sk := new(hyperloglog.Sketch)
	if err := sk.UnmarshalBinary(data); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	n := HLL{p: data[1], sparse: sk}
	if data[3] == 0 { // dense
		n.toDense()
	}
	n.checkSizeIfSparse()
	*h = n
	return nil
}

func (h *HLL) checkSizeIfSparse() {
	if h.regs == nil {
		h.checkSize()
	}
}
