package join

// item is an entry of an eviction index: a key due at time t.
type item[K any] struct {
	t int64
	k K
}

// timeHeap is a min-heap of items by time: the eviction index of a join.
// It is hand-written (container/heap would box every item).
type timeHeap[K any] struct{ s []item[K] }

func (h *timeHeap[K]) len() int { return len(h.s) }

func (h *timeHeap[K]) push(t int64, k K) {
	h.s = append(h.s, item[K]{t, k})
	s := h.s
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].t <= s[i].t {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

// top returns the earliest time; the heap must not be empty.
func (h *timeHeap[K]) top() int64 { return h.s[0].t }

func (h *timeHeap[K]) pop() item[K] {
	s := h.s
	it := s[0]
	n := len(s) - 1
	s[0] = s[n]
	var zero item[K]
	s[n] = zero
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s[r].t < s[l].t {
			m = r
		}
		if s[i].t <= s[m].t {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	h.s = s
	return it
}

func (h *timeHeap[K]) reset() {
	clear(h.s)
	h.s = h.s[:0]
}
