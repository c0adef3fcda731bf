// Package source provides the in-memory and I/O sources of weir pipelines:
// Slice, Seq and Chan for data already in the program, Generator for
// synthetic load, and Lines, LineBytes, JSON and DecodeLines for
// newline-delimited input from an io.Reader.
//
// Every constructor returns a stream.Source; add it to a pipeline with
// stream.From, which also takes the event-time and watermark options:
//
//	views := stream.From(p, source.JSON[View](f),
//		stream.Name("views"),
//		stream.EventTime(func(v View) time.Time { return v.At }),
//		stream.OnError(stream.SkipOnError))
//
// Unless a source documents otherwise, an element's event time is the one
// the stream.EventTime extractor returns, else the processing time at which
// it was emitted. Bounded sources (Slice, Seq, a closed Chan, a Generator with
// a Count, a Reader at EOF) end their stream with the final watermark, which
// fires every timer and window downstream.
//
// A source value may be used in several pipelines, one Run at a time for
// Chan and the Reader sources (they consume their input), any number of
// times for the others.
package source
