package sketch

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

// DefaultRelativeAccuracy is the relative accuracy of NewQuantiles(0, 0): 1 %.
const DefaultRelativeAccuracy = 0.01

// DefaultMaxBins is the bin limit of NewQuantiles(_, 0) per sign.
const DefaultMaxBins = 2048

// Quantiles is a DDSketch (github.com/DataDog/sketches-go) quantile sketch
// with a logarithmic index mapping and collapsing-lowest dense stores.
//
// Guarantee: for 0 <= q <= 1, Quantile(q) returns x' with |x' - x| <= α|x|,
// where α is the relative accuracy and x the exact element of rank q*(n-1)
// (0-based) in the sorted input: rank rounded down when x > 0, rounded up
// when x < 0 (DDSketch mirrors the negative side) — as long as the positive (or negative)
// values span fewer than maxBins bins, i.e. max/min < ((1+α)/(1-α))^maxBins
// (α = 1 %, 2048 bins: a ratio of 5e17). Past that the lowest bins collapse and
// only the lowest quantiles lose the guarantee. Zero is tracked exactly.
//
// Memory: 8 bytes per bin between the lowest and highest bin used, plus a
// little slack: ln(max/min)/ln((1+α)/(1-α)) bins (α = 1 %: 460 bins, about
// 4 KiB, for values spanning 1 ms..10 s), never more than 16 KiB per sign.
// Merge of two sketches with the same α and maxBins is exact: it equals the
// sketch of the union, in any order.
// A Quantiles is not safe for concurrent use.
type Quantiles struct {
	s       *ddsketch.DDSketch
	maxBins int
	dropped uint64
}

// NewQuantiles returns an empty sketch with relative accuracy alpha (0 means
// DefaultRelativeAccuracy; otherwise 0 < alpha < 1) and at most maxBins bins
// per sign (0 means DefaultMaxBins).
func NewQuantiles(alpha float64, maxBins int) (*Quantiles, error) {
	if alpha == 0 {
		alpha = DefaultRelativeAccuracy
	}
	if maxBins == 0 {
		maxBins = DefaultMaxBins
	}
	if !(alpha > 0 && alpha < 1) || maxBins < 16 {
		return nil, fmt.Errorf("sketch: Quantiles accuracy %v, maxBins %d: %w", alpha, maxBins, ErrIncompatible)
	}
	m, err := mapping.NewLogarithmicMapping(alpha)
	if err != nil {
		return nil, fmt.Errorf("sketch: %w: %w", ErrIncompatible, err)
	}
	return &Quantiles{s: ddsketch.NewDDSketch(m, store.NewCollapsingLowestDenseStore(maxBins), store.NewCollapsingLowestDenseStore(maxBins)), maxBins: maxBins}, nil
}

// RelativeAccuracy returns α.
func (q *Quantiles) RelativeAccuracy() float64 { return q.s.RelativeAccuracy() }

// Add adds v. NaN, ±Inf and values beyond ±1.7e308 cannot be indexed: they
// are not added and counted by Dropped. It does not allocate once the bins
// cover v's range.
func (q *Quantiles) Add(v float64) { q.AddN(v, 1) }

// AddN adds v with weight n (n <= 0 is ignored).
func (q *Quantiles) AddN(v float64, n float64) {
	if !(n > 0) {
		return
	}
	if q.s.AddWithCount(v, n) != nil {
		q.dropped++
	}
}

// Dropped returns the number of Add calls whose value could not be indexed.
func (q *Quantiles) Dropped() uint64 { return q.dropped }

// Count returns the total weight added (0 when empty).
func (q *Quantiles) Count() float64 { return q.s.GetCount() }

// Quantile returns the value at quantile qq in [0, 1] within the relative
// accuracy (see the type). It returns NaN for an empty sketch or qq outside
// [0, 1]. It does not modify q.
func (q *Quantiles) Quantile(qq float64) float64 {
	v, err := q.s.GetValueAtQuantile(qq)
	if err != nil {
		return math.NaN()
	}
	return v
}

// Merge adds o's values to q (o unchanged; nil o is empty). Both must have
// the same accuracy and maxBins, else the error wraps ErrIncompatible.
func (q *Quantiles) Merge(o *Quantiles) error {
	if o == nil {
		return nil
	}
	if q.maxBins != o.maxBins || !q.s.IndexMapping.Equals(o.s.IndexMapping) {
		return fmt.Errorf("sketch: Quantiles merge accuracy %v/%d bins with %v/%d: %w",
			q.RelativeAccuracy(), q.maxBins, o.RelativeAccuracy(), o.maxBins, ErrIncompatible)
	}
	q.dropped += o.dropped
	return q.s.MergeWith(o.s)
}

// Clone returns a deep copy of q (nil for nil).
func (q *Quantiles) Clone() *Quantiles {
	if q == nil {
		return nil
	}
	return &Quantiles{s: q.s.Copy(), maxBins: q.maxBins, dropped: q.dropped}
}

// Reset empties q, keeping its memory.
func (q *Quantiles) Reset() {
	q.s.Clear()
	q.dropped = 0
}

const quantilesVersion = 1

// MarshalBinary returns AppendBinary(nil).
func (q *Quantiles) MarshalBinary() ([]byte, error) { return q.AppendBinary(nil) }

// AppendBinary appends q's encoding: a version byte, uvarint maxBins and
// dropped count, then DDSketch's own encoding (with its index mapping).
func (q *Quantiles) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, quantilesVersion)
	b = binary.AppendUvarint(b, uint64(q.maxBins))
	b = binary.AppendUvarint(b, q.dropped)
	q.s.Encode(&b, false)
	return b, nil
}

// UnmarshalBinary replaces q with the sketch encoded in data. On error
// (wrapping ErrCorrupt) q is unchanged.
func (q *Quantiles) UnmarshalBinary(data []byte) (err error) {
	defer func() { // the DDSketch decoder is not hardened against all inputs
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: Quantiles: %v", ErrCorrupt, r)
		}
	}()
	if len(data) < 1 || data[0] != quantilesVersion {
		return fmt.Errorf("%w: Quantiles version", ErrCorrupt)
	}
	d := data[1:]
	mb, n := binary.Uvarint(d)
	if n <= 0 || mb < 16 || mb > 1<<20 {
		return fmt.Errorf("%w: Quantiles maxBins", ErrCorrupt)
	}
	d = d[n:]
	dropped, n := binary.Uvarint(d)
	if n <= 0 {
		return fmt.Errorf("%w: Quantiles dropped", ErrCorrupt)
	}
	d = d[n:]
	maxBins := int(mb)
	s, err := ddsketch.DecodeDDSketch(d, func() store.Store { return store.NewCollapsingLowestDenseStore(maxBins) }, nil)
	if err != nil {
		return fmt.Errorf("%w: Quantiles: %w", ErrCorrupt, err)
	}
	if _, ok := s.IndexMapping.(*mapping.LogarithmicMapping); !ok {
		return fmt.Errorf("%w: Quantiles: unexpected index mapping", ErrCorrupt)
	}
	*q = Quantiles{s: s, maxBins: maxBins, dropped: dropped}
	return nil
}
