package join

import (
	"time"

	"github.com/weirhq/weir/stream"
)

// Change is one record of a table's changelog: an upsert of Value under Key,
// or, with Delete set, a tombstone that removes Key (Value is ignored).
type Change[K comparable, V any] struct {
	Key    K
	Value  V
	Delete bool
}

// Upsert returns the change that sets k to v.
func Upsert[K comparable, V any](k K, v V) Change[K, V] { return Change[K, V]{Key: k, Value: v} }

// Delete returns the tombstone of k.
func Delete[K comparable, V any](k K) Change[K, V] { return Change[K, V]{Key: k, Delete: true} }

// TableStream is a table defined by a changelog stream, for Enrich and
// EnrichLeft. Make one with Table. It holds no data: each join that uses it
// builds its own copy of the table, partitioned by key like the stream it
// enriches.
type TableStream[K comparable, V any] struct {
	changes stream.KeyedStream[K, Change[K, V]]
	cfg     tableConfig
}

type tableConfig struct {
	versioned bool
	retention int64
	until     int64 // stream elements wait until the watermark reaches min(t, until); MinTime: no wait
	err       error
}

// TableOption configures a Table.
type TableOption struct{ f func(*tableConfig) }

// Versioned makes the table temporal: it keeps every version of a key with
// its event time, and a stream element at time t sees the version as of t
// (the latest change with time <= t; none if that change is a tombstone or
// no change is that old). Versions are kept for retention behind the
// watermark: when the watermark is W, the versions older than the newest one
// at or before W-retention are dropped (a key whose only remaining version is
// such a tombstone is forgotten). A stream element older than W-retention is
// therefore late: counted in the Late metric and dropped. The default is
// the latest-value table. retention < 0 makes the join invalid.
func Versioned(retention time.Duration) TableOption {
	return TableOption{func(c *tableConfig) {
		c.versioned, c.retention = true, int64(retention)
		if retention < 0 {
			c.err = invalid("negative table retention %v", retention)
		}
	}}
}

// AwaitWatermark makes every stream element wait until the table is loaded
// up to its time: an element at time t is looked up once the table input's
// own watermark reaches t (or the table input is idle: no change is coming),
// and emitted then, still stamped t. Every change with time <= t is then in
// the table (unless the change itself was late). Buffered elements are
// released in time order; the cost is latency (the table's watermark delay)
// and the memory of the elements waiting. A table input without watermarks
// holds the stream back until it ends or goes idle. See AwaitBootstrap for a
// wait at start-up only.
func AwaitWatermark() TableOption {
	return TableOption{func(c *tableConfig) { c.until = stream.MaxTime }}
}

// AwaitBootstrap makes stream elements wait for the table's initial load, up
// to the event time until (typically the job's start time, with a table
// changelog whose records before it are the existing table): an element at
// time t waits until the table input's watermark (or the join's) reaches
// min(t, until), or the table input is idle, then is
// looked up and emitted, stamped t. Once the watermark has passed until,
// elements are looked up on arrival without waiting. The zero time means no
// wait.
func AwaitBootstrap(until time.Time) TableOption {
	return TableOption{func(c *tableConfig) { c.until = stream.TimeOf(until) }}
}

// Table returns the table whose contents are defined by the changelog
// changes: upserts set a key's value, tombstones remove it. Changes are
// applied in arrival order in the latest-value table (the default: the last
// change to arrive wins, as in a compacted Kafka topic read in order) and by
// event time in a Versioned table.
//
// Without an Await option a stream element is looked up as soon as it
// arrives, so elements that arrive before the table is loaded see their keys
// missing; use AwaitBootstrap or AwaitWatermark to make them wait.
//
// A change whose time is at or before the join's watermark (or the table
// input's, which releases awaiting elements when it is ahead) is still
// applied, and counted in the Late metric when the table is Versioned or
// elements await it (lookups it should have affected may have happened
// already).
//
// The table is held in memory (one value per live key; with Versioned, also
// the versions within the retention) and is not covered by the join's
// stream.Retainer report: on restart it must be rebuilt by reading its
// changelog again (from the start of a compacted topic).
func Table[K comparable, V any](changes stream.Stream[Change[K, V]], opts ...TableOption) TableStream[K, V] {
	cfg := tableConfig{until: stream.MinTime}
	for _, o := range opts {
		if o.f != nil {
			o.f(&cfg)
		}
	}
	return TableStream[K, V]{changes: stream.KeyBy(changes, changeKey[K, V]), cfg: cfg}
}

func changeKey[K comparable, V any](c Change[K, V]) K { return c.Key }

// Enrich looks every element of s up in table by its key and calls f with
// the element and the table's value (an inner join): elements whose key is
// missing (never set, deleted, or, for a Versioned table, not set as of the
// element's time) are dropped and counted as Dropped. Each result is stamped
// with the element's time. When elements are looked up (on arrival, or after
// waiting for the table) is set by the table's options; see Table. The join
// runs with the parallelism of s's KeyBy. Options are the stage's
// (stream.Name, stream.OnError). A nil f makes Run fail with ErrInvalidJoin.
//
// Enrichment on arrival from a latest-value table costs a map lookup per
// element and allocates nothing.
func Enrich[K comparable, T, V, O any](s stream.KeyedStream[K, T], table TableStream[K, V], f func(v T, tv V) O, opts ...stream.StageOption) stream.Stream[O] {
	return tableStage(s, table, f, nil, opts)
}

// EnrichLeft is Enrich as a left outer join: every element of s yields
// exactly one result, with the table's value absent (Opt.Ok false) when its
// key is missing. Elements older than a Versioned table's retention are
// late: counted and dropped, as in Enrich.
func EnrichLeft[K comparable, T, V, O any](s stream.KeyedStream[K, T], table TableStream[K, V], f func(v T, tv Opt[V]) O, opts ...stream.StageOption) stream.Stream[O] {
	return tableStage(s, table, nil, f, opts)
}

func tableStage[K comparable, T, V, O any](s stream.KeyedStream[K, T], table TableStream[K, V], fi func(T, V) O, fl func(T, Opt[V]) O, opts []stream.StageOption) stream.Stream[O] {
	err := table.cfg.err
	if fi == nil && fl == nil {
		err = invalid("nil join function")
	}
	key, cfg := s.Key(), table.cfg
	out, _, _ := stage2(s, table.changes, "enrich", func(c *stream.OpContext[O], _ *stream.Collector[T], _ *stream.Collector[Change[K, V]]) stream.Operator2[T, Change[K, V]] {
		j := newTableJoin(cfg, key, fi, fl)
		j.base = newBase(c)
		j.dropped = c.CountDropped
		return j
	}, false, err, opts)
	return out
}

type version[V any] struct {
	t   int64
	v   V
	del bool
}

type vlist[V any] struct {
	s      []version[V]
	sched  int64
	queued bool
}

// waiting is a stream element waiting for the table.
type waiting[K comparable, T any] struct {
	k K
	e stream.Event[T]
}

// tableJoin is the stream-table join operator. The left input is the stream,
// the right one the changelog.
type tableJoin[K comparable, T, V, O any] struct {
	base[O]
	dropped   func(int)
	key       func(T) K
	fi        func(T, V) O
	fl        func(T, Opt[V]) O
	latest    map[K]V
	versioned bool
	retention int64
	vers      map[K]*vlist[V]
	due       timeHeap[K]
	until     int64
	wait      tbuf[waiting[K, T]] // sorted by release time min(t, until)
	// tableWM is the table input's own watermark (stream.InputWatermarks;
	// MaxTime while the table input is idle): a waiting element is released
	// once it or the join's watermark passes the element's release time.
	tableWM int64
	ndrop   int
	nlate   int
}

func newTableJoin[K comparable, T, V, O any](cfg tableConfig, key func(T) K, fi func(T, V) O, fl func(T, Opt[V]) O) *tableJoin[K, T, V, O] {
	j := &tableJoin[K, T, V, O]{key: key, fi: fi, fl: fl, versioned: cfg.versioned, retention: cfg.retention, until: cfg.until, tableWM: stream.MinTime}
	if j.versioned {
		j.vers = make(map[K]*vlist[V])
	} else {
		j.latest = make(map[K]V)
	}
	return j
}

// ProcessLeft enriches stream elements, or buffers them until the table is
// ready for them.
func (j *tableJoin[K, T, V, O]) ProcessLeft(batch []stream.Event[T]) {
	gate := j.gate()
	if !j.versioned && j.until <= gate {
		// Nothing waits any more (or never did): look up on arrival. An
		// element's release time min(t, until) is at most until <= gate.
		j.enrichNow(batch)
		j.report()
		return
	}
	for i := range batch {
		e := batch[i]
		k := j.key(e.Value)
		if r := min(e.Time, j.until); r > gate {
			j.wait.insert(entry[waiting[K, T]]{t: r, v: waiting[K, T]{k, e}})
			continue
		}
		j.lookup(k, e, j.wm)
	}
	j.report()
}

// enrichNow is the hot path: lookup on arrival in a latest-value table.
func (j *tableJoin[K, T, V, O]) enrichNow(batch []stream.Event[T]) {
	// Fields are loaded once: the calls below could otherwise change them.
	table, key, fi, fl, emit := j.latest, j.key, j.fi, j.fl, j.emit
	if fi != nil {
		drop := 0
		for i := range batch {
			e := &batch[i]
			if v, ok := table[key(e.Value)]; ok {
				emit(fi(e.Value, v), e.Time)
			} else {
				drop++
			}
		}
		j.ndrop += drop
		return
	}
	for i := range batch {
		e := &batch[i]
		v, ok := table[key(e.Value)]
		emit(fl(e.Value, Opt[V]{v, ok}), e.Time)
	}
}

func (j *tableJoin[K, T, V, O]) report() {
	if j.ndrop > 0 {
		j.dropped(j.ndrop)
		j.ndrop = 0
	}
	if j.nlate > 0 {
		j.late(j.nlate)
		j.nlate = 0
	}
}

// lookup enriches e; wm is the watermark up to which the versions were
// pruned.
func (j *tableJoin[K, T, V, O]) lookup(k K, e stream.Event[T], wm int64) {
	var v V
	var ok bool
	if j.versioned {
		if e.Time < addSat(wm, -j.retention) {
			j.nlate++
			return
		}
		if vl := j.vers[k]; vl != nil {
			s := vl.s
			i := len(s) - 1
			for i >= 0 && s[i].t > e.Time {
				i--
			}
			if i >= 0 && !s[i].del {
				v, ok = s[i].v, true
			}
		}
	} else {
		v, ok = j.latest[k]
	}
	switch {
	case j.fi != nil && ok:
		j.emit(j.fi(e.Value, v), e.Time)
	case j.fi != nil:
		j.ndrop++
	default:
		j.emit(j.fl(e.Value, Opt[V]{v, ok}), e.Time)
	}
}

// ProcessRight applies changelog records to the table.
func (j *tableJoin[K, T, V, O]) ProcessRight(batch []stream.Event[Change[K, V]]) {
	// Changes at or before this may come after lookups they should have
	// affected: awaiting elements are released up to the gate (the table
	// input's watermark when it is ahead of the join's).
	gate := j.wm
	if j.until != stream.MinTime {
		gate = j.gate()
	}
	if !j.versioned {
		for i := range batch {
			c := &batch[i].Value
			if j.until != stream.MinTime && batch[i].Time <= gate {
				j.nlate++ // waiting elements may have been released without it
			}
			if c.Delete {
				delete(j.latest, c.Key)
			} else {
				j.latest[c.Key] = c.Value
			}
		}
		j.report()
		return
	}
	for i := range batch {
		c, t := &batch[i].Value, batch[i].Time
		if t <= gate {
			j.nlate++ // lookups at times >= t may already have missed it
		}
		vl := j.vers[c.Key]
		if vl == nil {
			vl = &vlist[V]{}
			j.vers[c.Key] = vl
		}
		vl.s = append(vl.s, version[V]{t, c.Value, c.Delete})
		n := len(vl.s) - 1
		for n > 0 && vl.s[n-1].t > t {
			vl.s[n] = vl.s[n-1]
			n--
		}
		vl.s[n] = version[V]{t, c.Value, c.Delete}
		j.schedule(c.Key, vl, stream.MinTime)
	}
	j.report()
}

// schedule puts a versioned key in the pruning index for the watermark at
// which its oldest version becomes useless, unless that is not after wm
// (possible only when times saturate near stream.MaxTime).
func (j *tableJoin[K, T, V, O]) schedule(k K, vl *vlist[V], wm int64) {
	var x int64
	switch {
	case len(vl.s) >= 2:
		x = addSat(vl.s[1].t, j.retention)
	case len(vl.s) == 1 && vl.s[0].del:
		x = addSat(vl.s[0].t, j.retention)
	default:
		return
	}
	if x <= wm {
		return
	}
	if !vl.queued || x < vl.sched {
		vl.sched, vl.queued = x, true
		j.due.push(x, k)
	}
}

// OnWatermark releases the elements waiting for the table, then prunes
// versions older than the retention.
func (j *tableJoin[K, T, V, O]) OnWatermark(wm int64) {
	j.release(max(wm, j.tableWM), j.wm)
	j.wm = wm
	h := addSat(wm, -j.retention)
	for j.due.len() > 0 && j.due.top().t <= wm {
		it := j.due.pop()
		vl := j.vers[it.k]
		if vl == nil || !vl.queued || vl.sched != it.t {
			continue
		}
		vl.queued = false
		s := vl.s
		i := 0 // the newest version at or before h
		for i+1 < len(s) && s[i+1].t <= h {
			i++
		}
		if i > 0 {
			m := copy(s, s[i:])
			clear(s[m:])
			s = s[:m]
			vl.s = s
		}
		if len(s) == 1 && s[0].del && s[0].t <= h {
			delete(j.vers, it.k)
			continue
		}
		j.schedule(it.k, vl, wm)
	}
	j.report()
}

// gate is the time up to which the table is complete: the join's watermark,
// or the table input's own when it is ahead.
func (j *tableJoin[K, T, V, O]) gate() int64 { return max(j.wm, j.tableWM) }

// release looks up, in time order, the waiting elements whose release time
// is at or before gate.
func (j *tableJoin[K, T, V, O]) release(gate, wm int64) {
	if j.wait.len() == 0 {
		return
	}
	w := j.wait.live()
	n := 0
	for ; n < len(w) && w[n].t <= gate; n++ {
		j.lookup(w[n].v.k, w[n].v.e, wm)
	}
	j.wait.dropFront(n)
}

// OnInputWatermark implements stream.InputWatermarks: the table input's own
// watermark (MaxTime while it is idle: no change is coming) releases waiting
// elements without waiting for the stream's watermark.
func (j *tableJoin[K, T, V, O]) OnInputWatermark(input int, wm int64, idle bool) {
	if input != 1 {
		return
	}
	if idle {
		wm = stream.MaxTime
	}
	j.tableWM = wm
	j.release(j.gate(), j.wm)
	j.report()
}

// OnEnd drops the table and the waiting elements (after a cancelled run,
// those are not emitted).
func (j *tableJoin[K, T, V, O]) OnEnd() {
	clear(j.latest)
	clear(j.vers)
	j.due.reset()
	j.wait.reset()
}

// RetainedFrom returns the lowest time of a stream element waiting for the
// table, or stream.MaxTime. The table itself is not reported (see Table).
func (j *tableJoin[K, T, V, O]) RetainedFrom() int64 {
	if j.wait.len() == 0 {
		return stream.MaxTime
	}
	return j.wait.live()[0].t // min(t, until) <= t
}

// OutputDelay returns 0: results carry their stream element's time.
func (j *tableJoin[K, T, V, O]) OutputDelay() int64 { return 0 }
