package sketch

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"unsafe"
)

// Item is one heavy hitter reported by TopK: Count is an upper bound of the
// key's true weight and Count-Err a lower bound (Err <= N/capacity).
type Item[K cmp.Ordered] struct {
	Key   K
	Count uint64
	Err   uint64
}

// TopK is a Space-Saving heavy-hitters summary (Metwally et al.) of keys of
// type K with a fixed number of counters (its capacity): a min-heap of
// counters indexed by a map.
//
// Guarantees, with N the total weight added: every monitored key's Count is
// >= its true weight and Count-Err <= true weight, with Err <= N/capacity;
// any key whose true weight exceeds N/capacity is monitored. To report the
// top k reliably use a capacity of several times k (agg.TopK uses
// max(10k, 100)).
//
// Merge follows the mergeable-summaries rule of Agarwal et al. (2012) as
// adapted to Space-Saving (Cafaro et al.): a key missing from one side is
// credited with that side's minimum counter (0 if that side is not full),
// weights and errors add, and the capacity largest counters are kept (ties
// broken by key order). The result keeps both bounds with N = N_a + N_b, is
// exactly commutative, and is associative up to those bounds (exactly so
// while nothing is truncated).
//
// Memory: about (size of K + 24) bytes per counter plus the map, ~60 bytes
// per counter for string keys. A TopK is not safe for concurrent use.
type TopK[K cmp.Ordered] struct {
	capacity int
	total    uint64
	items    []Item[K] // counters, by slot (stable while monitored)
	heap     []int32   // slots, a min-heap by Count (ties in insertion order)
	pos      []int32   // slot -> position in heap
	idx      map[K]int32
}

// NewTopK returns an empty TopK with the given capacity (number of
// counters, >= 1).
func NewTopK[K cmp.Ordered](capacity int) (*TopK[K], error) {
	if capacity < 1 || capacity > 1<<24 {
		return nil, fmt.Errorf("sketch: TopK capacity %d outside [1, 2^24]: %w", capacity, ErrIncompatible)
	}
	return &TopK[K]{
		capacity: capacity,
		items:    make([]Item[K], 0, capacity),
		heap:     make([]int32, 0, capacity),
		pos:      make([]int32, 0, capacity),
		idx:      make(map[K]int32, capacity),
	}, nil
}

// Capacity returns the number of counters.
func (t *TopK[K]) Capacity() int { return t.capacity }

// Total returns N, the total weight added.
func (t *TopK[K]) Total() uint64 { return t.total }

// Len returns the number of monitored keys.
func (t *TopK[K]) Len() int { return len(t.items) }

func (t *TopK[K]) less(i, j int) bool {
	// No key tie-break here: string compares cost more than they buy (the
	// heap is still deterministic for a given input order).
	return t.items[t.heap[i]].Count < t.items[t.heap[j]].Count
}

func (t *TopK[K]) swap(i, j int) {
	h := t.heap
	h[i], h[j] = h[j], h[i]
	t.pos[h[i]] = int32(i)
	t.pos[h[j]] = int32(j)
}

func (t *TopK[K]) down(i int) {
	n := len(t.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && t.less(r, l) {
			m = r
		}
		if !t.less(m, i) {
			return
		}
		t.swap(i, m)
		i = m
	}
}

func (t *TopK[K]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(i, p) {
			return
		}
		t.swap(i, p)
		i = p
	}
}

// Add adds weight n to key k (n == 0 is ignored). NaN float keys are each
// distinct, as in Go maps. It does not allocate in the steady state (all
// storage is sized at construction).
func (t *TopK[K]) Add(k K, n uint64) {
	if n == 0 {
		return
	}
	t.total += n
	if s, ok := t.idx[k]; ok {
		t.items[s].Count += n
		t.down(int(t.pos[s]))
		return
	}
	if len(t.items) < t.capacity {
		s := int32(len(t.items))
		t.items = append(t.items, Item[K]{Key: k, Count: n})
		t.heap = append(t.heap, s)
		t.pos = append(t.pos, s)
		t.idx[k] = s
		t.up(int(s))
		return
	}
	s := t.heap[0]
	it := &t.items[s]
	delete(t.idx, it.Key)
	*it = Item[K]{Key: k, Count: it.Count + n, Err: it.Count}
	t.idx[k] = s
	t.down(0)
}

// Estimate returns the upper bound of k's weight and whether k is
// monitored; for an unmonitored key it returns the minimum counter (0 if not
// full), itself an upper bound.
func (t *TopK[K]) Estimate(k K) (count uint64, monitored bool) {
	if s, ok := t.idx[k]; ok {
		return t.items[s].Count, true
	}
	return t.min(), false
}

func (t *TopK[K]) min() uint64 {
	if len(t.items) < t.capacity || len(t.items) == 0 {
		return 0
	}
	return t.items[t.heap[0]].Count
}

// Top appends to dst the k monitored keys with the largest counts, in
// descending count order (ties: ascending key), and returns it. k <= 0 or
// k > Len() means all.
func (t *TopK[K]) Top(dst []Item[K], k int) []Item[K] {
	start := len(dst)
	if k <= 0 || k >= len(t.items) {
		dst = append(dst, t.items...)
		slices.SortFunc(dst[start:], cmpItem[K])
		return dst
	}
	// Find the k-th largest count with a k-sized min-heap of counts, then
	// sort only the items at or above it.
	var buf [32]uint64
	h := buf[:0]
	if k > len(buf) {
		h = make([]uint64, 0, k)
	}
	for _, it := range t.items {
		switch {
		case len(h) < k:
			h = append(h, it.Count)
			for i := len(h) - 1; i > 0 && h[(i-1)/2] > h[i]; i = (i - 1) / 2 {
				h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
			}
		case it.Count > h[0]:
			h[0] = it.Count
			for i := 0; ; {
				l, m := 2*i+1, i
				if l < k && h[l] < h[m] {
					m = l
				}
				if l+1 < k && h[l+1] < h[m] {
					m = l + 1
				}
				if m == i {
					break
				}
				h[i], h[m] = h[m], h[i]
				i = m
			}
		}
	}
	for _, it := range t.items {
		if it.Count >= h[0] {
			dst = append(dst, it)
		}
	}
	slices.SortFunc(dst[start:], cmpItem[K])
	return dst[:start+k]
}

func cmpItem[K cmp.Ordered](a, b Item[K]) int {
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// Merge merges o into t (o unchanged; nil o is empty) by the rule described
// on the type. The capacities must be equal, else the error wraps
// ErrIncompatible. It allocates O(capacity).
func (t *TopK[K]) Merge(o *TopK[K]) error {
	if o == nil || len(o.items) == 0 {
		return nil
	}
	if t.capacity != o.capacity {
		return fmt.Errorf("sketch: TopK merge capacity %d with %d: %w", t.capacity, o.capacity, ErrIncompatible)
	}
	minA, minB := t.min(), o.min()
	all := make([]Item[K], 0, len(t.items)+len(o.items))
	for _, a := range t.items {
		if j, ok := o.idx[a.Key]; ok {
			b := o.items[j]
			all = append(all, Item[K]{Key: a.Key, Count: a.Count + b.Count, Err: a.Err + b.Err})
		} else {
			all = append(all, Item[K]{Key: a.Key, Count: a.Count + minB, Err: a.Err + minB})
		}
	}
	for _, b := range o.items {
		if _, ok := t.idx[b.Key]; !ok {
			all = append(all, Item[K]{Key: b.Key, Count: b.Count + minA, Err: b.Err + minA})
		}
	}
	slices.SortFunc(all, cmpItem[K])
	if len(all) > t.capacity {
		all = all[:t.capacity]
	}
	t.total += o.total
	t.load(all)
	return nil
}

// load replaces the counters with items (len <= capacity).
func (t *TopK[K]) load(items []Item[K]) {
	t.items = append(t.items[:0], items...)
	t.heap, t.pos = t.heap[:0], t.pos[:0]
	clear(t.idx)
	for i := range t.items {
		t.idx[t.items[i].Key] = int32(i)
		t.heap = append(t.heap, int32(i))
		t.pos = append(t.pos, int32(i))
	}
	for i := len(t.heap)/2 - 1; i >= 0; i-- {
		t.down(i)
	}
}

// Clone returns a deep copy of t (nil for nil).
func (t *TopK[K]) Clone() *TopK[K] {
	if t == nil {
		return nil
	}
	c, _ := NewTopK[K](t.capacity)
	c.total = t.total
	c.items = append(c.items, t.items...)
	c.heap = append(c.heap, t.heap...)
	c.pos = append(c.pos, t.pos...)
	for k, v := range t.idx {
		c.idx[k] = v
	}
	return c
}

// Reset empties t, keeping its memory.
func (t *TopK[K]) Reset() {
	t.items, t.heap, t.pos = t.items[:0], t.heap[:0], t.pos[:0]
	clear(t.idx)
	t.total = 0
}

const topKVersion = 1

// MarshalBinary returns AppendBinary(nil).
func (t *TopK[K]) MarshalBinary() ([]byte, error) { return t.AppendBinary(nil) }

// AppendBinary appends t's encoding: version, uvarint capacity, total and
// count, then per counter (in descending order) the key (strings: uvarint
// length and bytes; signed integers: zigzag varint; unsigned: uvarint;
// floats: 8 bytes IEEE-754 little-endian), count and error as uvarints. The
// encoding is canonical: equal summaries encode equally.
func (t *TopK[K]) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, topKVersion)
	b = binary.AppendUvarint(b, uint64(t.capacity))
	b = binary.AppendUvarint(b, t.total)
	b = binary.AppendUvarint(b, uint64(len(t.items)))
	for _, it := range t.Top(nil, 0) {
		b = appendOrdered(b, it.Key)
		b = binary.AppendUvarint(b, it.Count)
		b = binary.AppendUvarint(b, it.Err)
	}
	return b, nil
}

// UnmarshalBinary replaces t with the summary encoded in data. On error
// (wrapping ErrCorrupt) t is unchanged.
func (t *TopK[K]) UnmarshalBinary(data []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: TopK %s", ErrCorrupt, what) }
	if len(data) < 1 || data[0] != topKVersion {
		return bad("version")
	}
	dec := newDecoder(data[1:])
	capacity, total, n := dec.uvarint(), dec.uvarint(), dec.uvarint()
	if !dec.ok {
		return bad("header")
	}
	if capacity < 1 || capacity > 1<<24 || n > capacity || n > uint64(len(dec.b)) {
		return bad("header")
	}
	items := make([]Item[K], 0, n)
	seen := make(map[K]bool, n)
	for range n {
		k, rest, ok := readOrdered[K](dec.b)
		if !ok || seen[k] {
			return bad("key")
		}
		seen[k] = true
		dec.b = rest
		c := dec.uvarint()
		if !dec.ok {
			return bad("count")
		}
		e := dec.uvarint()
		if !dec.ok || e > c {
			return bad("error")
		}
		items = append(items, Item[K]{Key: k, Count: c, Err: e})
	}
	if len(dec.b) != 0 {
		return bad("trailing bytes")
	}
	nt, _ := NewTopK[K](int(capacity))
	nt.total = total
	nt.load(items)
	*t = *nt
	return nil
}

func appendOrdered[K cmp.Ordered](b []byte, k K) []byte {
	p := unsafe.Pointer(&k)
	switch reflect.TypeFor[K]().Kind() {
	case reflect.String:
		s := *(*string)(p)
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, reflect.ValueOf(k).Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(b, reflect.ValueOf(k).Uint())
	case reflect.Float32, reflect.Float64:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(reflect.ValueOf(k).Float()))
	}
	panic("sketch: unreachable key kind")
}

func readOrdered[K cmp.Ordered](b []byte) (k K, rest []byte, ok bool) {
	v := reflect.ValueOf(&k).Elem()
	switch v.Kind() {
	case reflect.String:
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return k, nil, false
		}
		v.SetString(string(b[n : n+int(l)]))
		return k, b[n+int(l):], true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n := binary.Varint(b)
		if n <= 0 || v.OverflowInt(x) {
			return k, nil, false
		}
		v.SetInt(x)
		return k, b[n:], true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, n := binary.Uvarint(b)
		if n <= 0 || v.OverflowUint(x) {
			return k, nil, false
		}
		v.SetUint(x)
		return k, b[n:], true
	case reflect.Float32, reflect.Float64:
		if len(b) < 8 {
			return k, nil, false
		}
		v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		return k, b[8:], true
	}
	return k, nil, false
}
