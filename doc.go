// Package weir is a library for streaming analytics in Go: typed, event-time
// correct pipelines that run inside your own service, with Kafka as the usual
// source, sink and scale-out substrate.
//
// This package holds only documentation; the work is done by its
// sub-packages:
//
//   - stream: the core. Pipeline, Run, Stream[T], event time and watermarks,
//     the stages (Map, MapErr, Filter, FlatMap, Tap, KeyBy, Union, Dedupe,
//     Process with keyed state and timers), error policies and dead letters,
//     metrics, checkpoints, and the runtime (chained operators pushing
//     batches, bounded exchanges for backpressure, parallel keyed stages).
//   - stream/streamtest: drive a pipeline with scripted elements and
//     watermarks and assert its output.
//   - window: tumbling, sliding, session and global windows in event time,
//     with allowed lateness, late-data output and triggers.
//   - join: window, interval and stream-table joins, with late-data outputs.
//   - agg: aggregators (Count, Sum, Mean, Quantiles, Distinct, TopK, ...) that
//     merge and serialize.
//   - sketch: HyperLogLog, Bloom, Count-Min, top-k and quantile sketches.
//   - source and sink: slices, iterators, channels, generators, JSON lines,
//     and Kafka (franz-go).
//
// Dependencies point one way: sketch and agg know nothing of pipelines;
// stream knows nothing of Kafka, windows or joins; window, join, source and
// sink build on stream.
//
// # A pipeline
//
// Stages are free functions that read as a data flow; building does no I/O,
// Run does the work and returns when bounded input is exhausted, the context
// is cancelled or a stage fails (PageView is your type, with methods Time,
// Valid and Page; Example runs a complete one):
//
//	p := stream.New()
//	views := stream.From(p, source.Slice(pageViews), stream.EventTime(PageView.Time),
//		stream.Watermarks(stream.BoundedOutOfOrderness(5*time.Second)))
//	valid := stream.Filter(views, PageView.Valid)
//	perPage := window.Aggregate(stream.KeyBy(valid, PageView.Page),
//		window.Tumbling(time.Minute), agg.Count[PageView]())
//	sink.To(perPage, sink.Func(publish))
//	err := p.Run(ctx)
//
// Event time, not arrival time, decides which window an element belongs to;
// the watermark decides when a window is complete. Elements that arrive after
// their window closed are late: counted, and sent to a late output if you ask
// for one, never silently merged or dropped.
package weir
