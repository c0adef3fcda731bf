// Package window groups the elements of a keyed stream into event-time
// windows and aggregates each (key, window) incrementally:
//
//	byPage := stream.KeyBy(views, View.PageID)
//	perMin := window.Aggregate(byPage, window.Tumbling(time.Minute), agg.Count[View]())
//
// # Assigners
//
// Tumbling (fixed, aligned to the epoch, optional offset), Sliding (hopping;
// elements update one pane of gcd(size, slide), a window's result merges its
// panes), Session and SessionFunc (gap-based, merging), and Global (one
// window per key, fired by triggers and at the end of input).
//
// # Time, firing and lateness
//
// A window [Start, End) fires (Firing OnTime) when the watermark reaches
// End-1, i.e. no element of the window can still be on time. Results carry
// event time End-1. With AllowedLateness(d) its state is kept until the
// watermark reaches End-1+d; each element arriving in that time is added and
// the window re-fires (Firing Late). An element whose every window is past
// End-1+d is late: it is counted in the stage's Late metric and sent to the
// late stream of AggregateLate; it never changes a result. A session
// element is late only if its own window [t, t+gap) is past its lateness and
// it overlaps no session still held; an allowed-late element may merge
// sessions, which withdraws (Firing Retract) any result emitted for the
// merged ones (not with Discarding, whose results are deltas).
//
// Event times must leave room for the windows' bounds in int64 nanoseconds:
// a tumbling or sliding stage hands an element within its size plus two
// slides of stream.MinTime or stream.MaxTime (plus the allowed lateness, at
// the low end) to the stage's error policy with ErrTimeRange instead of
// windowing it. Such times are about 292 years from 1970, so this is
// usually a bug in the timestamps (a zero time.Time is stream.MinTime).
// Session and global windows take any time.
//
// EarlyEvery (processing time), EarlyEveryCount and EarlyWhen add early
// firings (Firing Early); FinalOnly emits exactly one result per window when
// it closes for good; Discarding makes each firing hold only what arrived
// since the previous one. At the end of bounded input (the final watermark)
// every window fires; when a run is cancelled nothing more fires.
//
// Per key, results come out in the order the watermark passes their windows'
// ends. The final value of a window is its last result that is not a
// Retract.
//
// # Design and cost
//
// The window logic is a deterministic core advanced only by element batches,
// watermarks and processing-time ticks given to it by the stream runtime: no
// goroutine, timer or ticker per key or window, so it is tested exactly (see
// testdata/). Tumbling and sliding windows keep, per key, a ring of panes,
// stored by pane slot across keys (one array per slot, indexed by a dense
// key id) so that a firing reads contiguous memory, the pane receiving
// elements inline in the key's record; an element costs one map lookup and
// one Add, and allocates nothing once its key exists. A watermark that
// passes no window end costs O(1); one that does visits each key holding
// state once (emit, purge). Sessions keep per key a sorted slice of sessions
// and a coarse timer wheel (gap/16 buckets), so a watermark visits only the
// keys whose sessions are due.
//
// State of tumbling and sliding windows: each key holds pane slots (an
// accumulator and two flags each) for every pane of gcd(size, slide) from
// its oldest held pane to its newest, panes that received no element
// included: in the shared columns (one slot per key in each, as many
// columns as a window, the panes up to its next firing and the lateness
// need, at most 64) or, once its span outgrows them, in a ring of its own
// rounded up to a power of two. A pane is held until the watermark passes
// the end of its last window plus the allowed lateness. So a key's
// state grows with the span of event time it holds divided by the pane
// length, not with the number of its windows that hold elements: that span
// is the window size plus the allowed lateness plus however far the key's
// elements run ahead of the watermark (with no watermark, as in a replay
// with NoWatermarks, the span of all its elements).
//
// With no allowed lateness and a watermark close behind the elements, the
// state per open (key, window), measured on amd64 (TestStateBytes) with
// tumbling windows, is about 180 bytes for agg.Count (the map entry, the
// key's record and pane slots, bookkeeping); for agg.Distinct (an HLL of
// precision 14) about 700 bytes with 10 distinct values and 4.7 KB with
// 1,000 (sparse representation), up to about 16.5 KB once the HLL turns
// dense. With Tumbling(time.Second) and AllowedLateness(time.Hour) (or a
// watermark an hour behind), a key active through the hour holds 3,600
// panes in a ring of 4,096 slots: about 67 KB per key for agg.Count (16-byte
// slots, TestStateBytes), however few of those seconds received its
// elements. Keep the lateness and the watermark's lag to a modest number of
// panes, or use larger panes. Sessions cost about the same per (key,
// session) as tumbling windows per (key, window); only sessions holding
// elements are kept, each until the watermark passes its end plus the
// allowed lateness.
//
// Sliding windows hold, per key, one accumulator per pane of the window
// (size/gcd(size, slide)) rather than one per window, plus the partial
// merges that make an on-time firing cheap (a two-stacks sliding
// aggregation: about size/slide + 1 accumulators per key), so a firing
// costs amortised O(slide/gcd) merges per key, not size/gcd. With an
// aggregator that can subtract (agg.Subtractor: Count, integer Sum) each key
// keeps one aggregate instead, which a firing extends by the panes entering
// and reduces by the panes leaving (Spark's inverse reduce). Process merges
// all panes at each firing instead, and keeps every element (8 bytes plus
// the size of T each, plus slice growth).
//
// # Operators
//
// The stages implement stream.Retainer (RetainedFrom is the start of the
// oldest pane or session holding an element; OutputDelay is the window size,
// or unbounded (-1) for sessions and global windows) so a Kafka source
// commits only input whose contribution has reached durable output.
package window
