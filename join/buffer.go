package join

// entry is one buffered element with its time (or release time) and whether
// it found a partner.
type entry[T any] struct {
	t       int64
	v       T
	matched bool
}

// tbuf is a buffer of entries sorted by time, evicted from the front. Input
// is nearly sorted (disorder is bounded by the watermark), so inserting from
// the back costs little.
type tbuf[T any] struct {
	s []entry[T]
	h int // s[:h] are evicted
}

func (q *tbuf[T]) live() []entry[T] { return q.s[q.h:] }
func (q *tbuf[T]) len() int         { return len(q.s) - q.h }

// insert adds e after every entry with time <= e.t (stable).
func (q *tbuf[T]) insert(e entry[T]) {
	q.s = append(q.s, e)
	i := len(q.s) - 1
	for i > q.h && q.s[i-1].t > e.t {
		q.s[i] = q.s[i-1]
		i--
	}
	q.s[i] = e
}

// search returns the index in live() of the first entry with time >= t.
func (q *tbuf[T]) search(t int64) int {
	s := q.live()
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m].t < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// dropFront evicts the first n live entries.
func (q *tbuf[T]) dropFront(n int) {
	if n == 0 {
		return
	}
	clear(q.s[q.h : q.h+n])
	q.h += n
	switch {
	case q.h == len(q.s):
		q.s, q.h = q.s[:0], 0
	case q.h >= 32 && q.h*2 >= len(q.s):
		m := copy(q.s, q.s[q.h:])
		clear(q.s[m:])
		q.s, q.h = q.s[:m], 0
	}
}

func (q *tbuf[T]) reset() {
	clear(q.s)
	q.s, q.h = q.s[:0], 0
}
