package join

// item is an entry of an eviction index: a key due at time t.
type item[K any] struct {
	t int64
	k K
}

// timeHeap is a min-heap of items by time: the eviction index of a join.
// It is hand-written (container/heap would box every item) and 4-ary: half
// the depth of a binary heap, for the same comparisons per level in cache.
type timeHeap[K any] struct{ s []item[K] }

func (h *timeHeap[K]) len() int { return len(h.s) }

// top returns the earliest item; the heap must not be empty.
func (h *timeHeap[K]) top() *item[K] { return &h.s[0] }

func (h *timeHeap[K]) push(t int64, k K) {
	h.s = append(h.s, item[K]{t, k})
	s := h.s
	i := len(s) - 1
	it := s[i]
	for i > 0 {
		p := (i - 1) / 4
		if s[p].t <= it.t {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = it
}

// pop removes the earliest item.
func (h *timeHeap[K]) pop() item[K] {
	s := h.s
	it := s[0]
	n := len(s) - 1
	last := s[n]
	var zero item[K]
	s[n] = zero
	h.s = s[:n]
	if n > 0 {
		h.down(last)
	}
	return it
}

// down places it at the root and sifts it down.
func (h *timeHeap[K]) down(it item[K]) {
	s := h.s
	n := len(s)
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for d := c + 1; d < c+4 && d < n; d++ {
			if s[d].t < s[m].t {
				m = d
			}
		}
		if it.t <= s[m].t {
			break
		}
		s[i] = s[m]
		i = m
	}
	s[i] = it
}

func (h *timeHeap[K]) reset() {
	clear(h.s)
	h.s = h.s[:0]
}

// fifo is a queue of items pushed in time order.
type fifo[K any] struct {
	s []item[K]
	h int
}

func (q *fifo[K]) len() int { return len(q.s) - q.h }

func (q *fifo[K]) pop() item[K] {
	it := q.s[q.h]
	var zero item[K]
	q.s[q.h] = zero
	q.h++
	switch {
	case q.h == len(q.s):
		q.s, q.h = q.s[:0], 0
	case q.h >= 1024 && q.h*2 >= len(q.s):
		m := copy(q.s, q.s[q.h:])
		clear(q.s[m:])
		q.s, q.h = q.s[:m], 0
	}
	return it
}

// index is the eviction index of a join: items due at a watermark, in time
// order. Input is mostly in time order, so an item goes to the FIFO of its
// class (each class, such as the left or right side of an interval join,
// has its own offset from element time) when it is not earlier than the
// FIFO's last item, and to a heap otherwise: in-order input costs O(1) per
// item, disorder O(log n).
type index[K any] struct {
	q [2]fifo[K]
	h timeHeap[K]
}

func (x *index[K]) len() int { return x.q[0].len() + x.q[1].len() + x.h.len() }

func (x *index[K]) add(class int, t int64, k K) {
	q := &x.q[class]
	if n := len(q.s); n == q.h || q.s[n-1].t <= t {
		q.s = append(q.s, item[K]{t, k})
		return
	}
	x.h.push(t, k)
}

// min returns the earliest time and where it is (0, 1: a FIFO; 2: the
// heap), or false when empty.
func (x *index[K]) min() (int64, int, bool) {
	t, w, ok := int64(0), 0, false
	for c := range x.q {
		if q := &x.q[c]; q.len() > 0 && (!ok || q.s[q.h].t < t) {
			t, w, ok = q.s[q.h].t, c, true
		}
	}
	if x.h.len() > 0 && (!ok || x.h.s[0].t < t) {
		t, w, ok = x.h.s[0].t, 2, true
	}
	return t, w, ok
}

// next removes and returns the earliest item if its time is <= wm.
func (x *index[K]) next(wm int64) (item[K], bool) {
	t, w, ok := x.min()
	if !ok || t > wm {
		return item[K]{}, false
	}
	if w == 2 {
		return x.h.pop(), true
	}
	return x.q[w].pop(), true
}

func (x *index[K]) reset() {
	for c := range x.q {
		clear(x.q[c].s)
		x.q[c].s, x.q[c].h = x.q[c].s[:0], 0
	}
	x.h.reset()
}

// maxFree bounds the recycled per-key (or per-window) states a join keeps
// for reuse.
const maxFree = 1 << 14
