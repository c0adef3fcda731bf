package sketch

import (
	"encoding/binary"
	"fmt"
	"time"
)

// RotatingGenerations is the number of generations a RotatingBloom splits its
// horizon into; it keeps one more than that live.
const RotatingGenerations = 8

// RotatingBloom answers "was this hash seen within the last d of event time?"
// in bounded memory: the horizon d is cut into RotatingGenerations spans of
// s = ceil(d/8); each span of event time has its own Bloom filter, and a ring
// of 9 filters holds the newest spans. A hash is added to the filter of its
// event time's span and looked up in every live filter.
//
// Guarantees, for a hash added at event time t:
//   - no false negatives while both the newest event time seen and the
//     watermark passed to Advance are <= t+d: it is remembered at least d;
//   - it is forgotten (its generation recycled or dropped) once the newest
//     event time passes t+d+s or the watermark passes t+d+s;
//   - false positives: at most fp per lookup as long as no span holds more
//     than n/8 distinct hashes (n distinct per horizon, evenly spread); each
//     of the 9 filters is sized for n/8 hashes at fp/9.
//
// Memory is fixed at construction: 9 filters of n/8 hashes at fp/9, about
// 1.9 bytes per hash of n at fp = 1 % (n = 1e6, fp = 1 %: 2.0 MiB).
// Out-of-order times are fine: an element older than the oldest live span is
// tested but not added. A RotatingBloom is not safe for concurrent use.
type RotatingBloom struct {
	horizon int64
	span    int64
	newest  int64 // id of the newest generation, valid if started
	started bool
	gens    []rbGen
}

type rbGen struct {
	id   int64
	live bool
	f    *Bloom
}

// NewRotatingBloom returns an empty RotatingBloom for horizon d (> 0), sized
// for n distinct hashes per horizon at false-positive rate fp (0 < fp < 1).
func NewRotatingBloom(d time.Duration, n uint, fp float64) (*RotatingBloom, error) {
	if d <= 0 {
		return nil, fmt.Errorf("sketch: RotatingBloom horizon %v <= 0: %w", d, ErrIncompatible)
	}
	g := int64(RotatingGenerations)
	per := (max(n, 1) + uint(g) - 1) / uint(g)
	r := &RotatingBloom{horizon: int64(d), span: (int64(d) + g - 1) / g, gens: make([]rbGen, g+1)}
	for i := range r.gens {
		f, err := NewBloom(per, fp/float64(g+1))
		if err != nil {
			return nil, err
		}
		r.gens[i].f = f
	}
	return r, nil
}

// Horizon returns d.
func (r *RotatingBloom) Horizon() time.Duration { return time.Duration(r.horizon) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (r *RotatingBloom) slot(id int64) *rbGen {
	n := int64(len(r.gens))
	return &r.gens[((id%n)+n)%n]
}

// rotate makes id the newest generation, recycling the ones that fall out.
func (r *RotatingBloom) rotate(id int64) {
	n := int64(len(r.gens))
	if !r.started || id-r.newest >= n {
		for i := range r.gens {
			r.gens[i].live = false
		}
	} else {
		for x := r.newest + 1; x < id; x++ {
			r.slot(x).live = false
		}
	}
	r.newest, r.started = id, true
}

// gen returns the live generation for id, creating it if needed, or nil if
// id is older than the ring.
func (r *RotatingBloom) gen(id int64) *rbGen {
	if !r.started || id > r.newest {
		r.rotate(id)
	} else if id <= r.newest-int64(len(r.gens)) {
		return nil
	}
	g := r.slot(id)
	if !g.live || g.id != id {
		g.f.Reset()
		g.id, g.live = id, true
	}
	return g
}

// Test reports whether h may have been added within the horizon (see the
// type's guarantees), without adding it.
func (r *RotatingBloom) Test(h uint64) bool {
	h2 := mix64(h) | 1
	for i := range r.gens {
		if g := &r.gens[i]; g.live && g.f.test(h, h2) {
			return true
		}
	}
	return false
}

// TestAndAdd reports whether hash h was added within the horizon before (see
// the type's guarantees) and adds it at event time t (Unix nanoseconds). It
// does not allocate.
func (r *RotatingBloom) TestAndAdd(h uint64, t int64) (seen bool) {
	id := floorDiv(t, r.span)
	g := r.gen(id)
	h2 := mix64(h) | 1
	for i := range r.gens {
		if o := &r.gens[i]; o != g && o.live && o.f.test(h, h2) {
			seen = true
			break
		}
	}
	if g == nil {
		return seen
	}
	return g.f.testAndAdd(h, h2) || seen
}

// Advance drops the generations that lie entirely before watermark-d. Time
// never goes back: a smaller watermark than before has no effect.
func (r *RotatingBloom) Advance(watermark int64) {
	cut := watermark - r.horizon
	if watermark < 0 && cut > watermark { // overflow near MinInt64
		return
	}
	for i := range r.gens {
		g := &r.gens[i]
		if g.live && (g.id+1)*r.span <= cut {
			g.live = false
		}
	}
}

// Merge adds o's live generations to r (o unchanged; nil o is empty). Both
// must have the same horizon and filter size, else the error wraps
// ErrIncompatible.
func (r *RotatingBloom) Merge(o *RotatingBloom) error {
	if o == nil {
		return nil
	}
	if r.horizon != o.horizon || len(r.gens) != len(o.gens) || r.gens[0].f.m != o.gens[0].f.m || r.gens[0].f.k != o.gens[0].f.k {
		return fmt.Errorf("sketch: RotatingBloom merge with different parameters: %w", ErrIncompatible)
	}
	if !o.started {
		return nil
	}
	if !r.started || o.newest > r.newest {
		r.rotate(o.newest)
	}
	for i := range o.gens {
		if og := &o.gens[i]; og.live {
			if g := r.gen(og.id); g != nil {
				if err := g.f.Merge(og.f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Clone returns a deep copy of r (nil for nil).
func (r *RotatingBloom) Clone() *RotatingBloom {
	if r == nil {
		return nil
	}
	c := *r
	c.gens = make([]rbGen, len(r.gens))
	for i, g := range r.gens {
		c.gens[i] = rbGen{id: g.id, live: g.live, f: g.f.Clone()}
	}
	return &c
}

// Reset forgets everything, keeping the memory.
func (r *RotatingBloom) Reset() {
	for i := range r.gens {
		r.gens[i].live = false
	}
	r.started, r.newest = false, 0
}

const rotatingVersion = 1

// MarshalBinary returns AppendBinary(nil).
func (r *RotatingBloom) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// AppendBinary appends r's encoding: version, horizon, newest generation and
// then each live generation's id and Bloom encoding.
func (r *RotatingBloom) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, rotatingVersion)
	b = binary.AppendVarint(b, r.horizon)
	b = binary.AppendUvarint(b, uint64(len(r.gens)))
	m, k := r.gens[0].f.m, r.gens[0].f.k
	b = binary.AppendUvarint(b, m)
	b = binary.AppendUvarint(b, k)
	if !r.started {
		return append(b, 0), nil
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, r.newest)
	live := 0
	for _, g := range r.gens {
		if g.live {
			live++
		}
	}
	b = binary.AppendUvarint(b, uint64(live))
	for _, g := range r.gens {
		if g.live {
			b = binary.AppendVarint(b, g.id)
			var err error
			if b, err = g.f.AppendBinary(b); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// UnmarshalBinary replaces r with the RotatingBloom encoded in data. On error
// (wrapping ErrCorrupt) r is unchanged.
func (r *RotatingBloom) UnmarshalBinary(data []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: RotatingBloom %s", ErrCorrupt, what) }
	if len(data) < 1 || data[0] != rotatingVersion {
		return bad("version")
	}
	dec := newDecoder(data[1:])
	horizon, ng, m, k := dec.varint(), dec.uvarint(), dec.uvarint(), dec.uvarint()
	if !dec.ok || horizon <= 0 || ng != RotatingGenerations+1 || m == 0 || m%64 != 0 || m > 1<<40 || k == 0 || k > 64 || len(dec.b) < 1 {
		return bad("header")
	}
	n := &RotatingBloom{horizon: horizon, span: (horizon + RotatingGenerations - 1) / RotatingGenerations, gens: make([]rbGen, ng)}
	started := dec.b[0]
	dec.b = dec.b[1:]
	if started > 1 {
		return bad("header")
	}
	var loaded []rbGen
	if started == 1 {
		newest, live := dec.varint(), dec.uvarint()
		if !dec.ok || live > ng {
			return bad("generations")
		}
		n.newest, n.started = newest, true
		for range live {
			id := dec.varint()
			if !dec.ok || id > newest || id <= newest-int64(ng) {
				return bad("generation id")
			}
			f, rest, err := decodeBloom(dec.b)
			if err != nil {
				return err
			}
			if f.m != m || f.k != k {
				return bad("generation size")
			}
			dec.b = rest
			loaded = append(loaded, rbGen{id: id, live: true, f: f})
		}
	}
	if len(dec.b) != 0 {
		return bad("trailing bytes")
	}
	for _, g := range loaded {
		s := n.slot(g.id)
		if s.live {
			return bad("duplicate generation")
		}
		*s = g
	}
	for i := range n.gens {
		if n.gens[i].f == nil {
			n.gens[i].f = newBloomMK(uint(m), uint(k))
		}
	}
	*r = *n
	return nil
}
