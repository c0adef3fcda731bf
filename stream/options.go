package stream

import (
	"fmt"
	"time"
)

// Option configures a Pipeline. Options are applied in order; a later option
// overrides an earlier one.
type Option interface{ applyPipeline(*config) }

type config struct {
	batchSize       int
	exchangeCap     int
	parallelism     int
	policy          ErrorPolicy
	tick            time.Duration
	drainTimeout    time.Duration
	metricsInterval time.Duration
	hooks           []Hook
	checkpoint      time.Duration
}

func defaultConfig() config {
	return config{
		batchSize:    1024,
		exchangeCap:  16,
		parallelism:  1,
		policy:       FailOnError,
		tick:         10 * time.Millisecond,
		drainTimeout: 10 * time.Second,
	}
}

type pipelineOption func(*config)

func (f pipelineOption) applyPipeline(c *config) { f(c) }

// WithBatchSize sets how many elements travel together through chained
// operators and exchanges. Larger batches raise throughput and
// memory per exchange (default 1024); n < 1 is an invalid pipeline.
func WithBatchSize(n int) Option { return pipelineOption(func(c *config) { c.batchSize = n }) }

// WithExchangeCapacity sets how many batches an exchange (the bounded queue in
// front of a task that has several inputs or another parallelism) holds before
// its producers block (default 16). This bound is the backpressure: memory in
// flight is at most capacity × batch size per exchange input.
func WithExchangeCapacity(n int) Option {
	return pipelineOption(func(c *config) { c.exchangeCap = n })
}

// WithParallelism sets the default parallelism of keyed stages, those after a
// KeyBy (default 1). A KeyBy's own Parallelism option overrides it.
func WithParallelism(n int) Option { return pipelineOption(func(c *config) { c.parallelism = n }) }

// WithErrorPolicy sets the pipeline's default ErrorPolicy (default
// FailOnError). A stage's OnError option overrides it.
func WithErrorPolicy(p ErrorPolicy) Option { return pipelineOption(func(c *config) { c.policy = p }) }

// WithTickInterval sets the processing-time resolution (default 10ms): how
// often partially filled batches of a waiting source are flushed (the linger),
// idle inputs are detected and processing-time timers are fired.
func WithTickInterval(d time.Duration) Option {
	return pipelineOption(func(c *config) { c.tick = d })
}

// WithDrainTimeout bounds the graceful shutdown after Run's context is
// cancelled (default 10s): sources stop at once, in-flight data drains to the
// sinks, and if that takes longer than d the pipeline is stopped hard and Run
// returns ErrDrainTimeout. d <= 0 stops hard at once.
func WithDrainTimeout(d time.Duration) Option {
	return pipelineOption(func(c *config) { c.drainTimeout = d })
}

// WithMetricsInterval sets how often MetricsHooks receive a snapshot (default
// 0: only once, when Run returns).
func WithMetricsInterval(d time.Duration) Option {
	return pipelineOption(func(c *config) { c.metricsInterval = d })
}

// WithCheckpointInterval sets how often checkpoint barriers are taken
// (default 0: none, except the final one when Run ends). Checkpoints are
// what let sources such as Kafka commit input positions safely while windows
// and joins still hold state; see Retainer.
func WithCheckpointInterval(d time.Duration) Option {
	return pipelineOption(func(c *config) { c.checkpoint = d })
}

// WithHooks adds hooks (values implementing MetricsHook, ErrorHook and/or
// LateHook). A hook implementing none of them is an invalid pipeline.
func WithHooks(hooks ...Hook) Option {
	return pipelineOption(func(c *config) { c.hooks = append(c.hooks, hooks...) })
}

func (c *config) validate() error {
	switch {
	case c.batchSize < 1:
		return fmt.Errorf("%w: batch size %d < 1", ErrInvalidPipeline, c.batchSize)
	case c.exchangeCap < 1:
		return fmt.Errorf("%w: exchange capacity %d < 1", ErrInvalidPipeline, c.exchangeCap)
	case c.parallelism < 1:
		return fmt.Errorf("%w: parallelism %d < 1", ErrInvalidPipeline, c.parallelism)
	case c.tick <= 0:
		return fmt.Errorf("%w: tick interval %v <= 0", ErrInvalidPipeline, c.tick)
	}
	for _, h := range c.hooks {
		_, m := h.(MetricsHook)
		_, e := h.(ErrorHook)
		_, l := h.(LateHook)
		if !m && !e && !l {
			return fmt.Errorf("%w: hook %T implements no hook interface", ErrInvalidPipeline, h)
		}
	}
	return nil
}

// StageOption configures one stage: its name, error policy, parallelism (on
// KeyBy) or, for sources, event time and watermarks. Each stage function's
// doc lists the options it takes; an option that means nothing for the stage
// it is given to (Parallelism on a Map, OnError on a Filter or a sink, Name
// on KeyBy, a source option on anything but From) makes Run fail with
// ErrInvalidPipeline. A nil StageOption is ignored.
type StageOption interface{ applyStage(*stageConfig) }

type stageConfig struct {
	name        string
	policy      *ErrorPolicy
	parallelism int
	given       optSet // the options applied, to check them against the stage
	only        optSet // if not 0, the stage takes only these of its kind's options
	// source-only
	timestamps  any // func(T) time.Time
	watermarks  WatermarkStrategy
	idleTimeout time.Duration
}

// optSet is a set of stage option kinds: those a stageConfig was given, or
// those a stage takes (see kindOptions).
type optSet uint8

const (
	optName optSet = 1 << iota
	optOnError
	optParallelism
	optEventTime
	optWatermarks
	optIdleTimeout
)

// optNames names the option kinds, bit i of an optSet naming optNames[i].
var optNames = [...]string{"Name", "OnError", "Parallelism", "EventTime", "Watermarks", "IdleTimeout"}

type stageOption func(*stageConfig)

// takesOnly narrows the options a stage built on the operator SPI takes to
// set (Dedupe has no per-element failure, so no OnError). Stage functions
// put it before the user's options.
func takesOnly(set optSet) StageOption {
	return stageOption(func(c *stageConfig) { c.only = set })
}

func (f stageOption) applyStage(c *stageConfig) { f(c) }

// Name names a stage (default: its kind and position, as in "map#3"). Names
// appear in errors, dead letters and metrics. Names should be unique in a
// pipeline: stages sharing a name share its metrics (Pipeline.Stage reports
// their sum) and its error policy, the one of the first stage of that name;
// a later stage of that name whose OnError sets another policy makes the
// pipeline invalid. A side output is named after its stage with a suffix
// (".side", ".left", ".right"). Not for KeyBy, which is not a stage.
func Name(name string) StageOption {
	return stageOption(func(c *stageConfig) { c.name = name; c.given |= optName })
}

// OnError sets the ErrorPolicy of a stage that can fail per element (default:
// the pipeline's WithErrorPolicy): From (inputs the source rejects), MapErr,
// and operator stages (Apply, ApplyKeyed, Process, windows, joins; see
// OpContext.Reject). On a stage that has no per-element failure (Map,
// Filter, FlatMap, Tap, Union, a sink: a sink's error always fails the
// pipeline) or on KeyBy it makes the pipeline invalid. See Name for stages
// sharing a name.
func OnError(p ErrorPolicy) StageOption {
	return stageOption(func(c *stageConfig) { c.policy = &p; c.given |= optOnError })
}

// Parallelism sets how many parallel instances run the keyed stages after a
// KeyBy (default: the pipeline's WithParallelism). Elements are spread over
// the instances by a hash of their key, so each key lives in one instance.
// Only meaningful on KeyBy: on any stage it makes the pipeline invalid (a
// stage runs with the parallelism of its input, a keyed stage with its
// KeyBy's). n < 1 is an invalid pipeline.
func Parallelism(n int) StageOption {
	return stageOption(func(c *stageConfig) { c.parallelism = n; c.given |= optParallelism })
}

// EventTime makes a source take each element's event time from f (default:
// the time the source emitted it, or the time the source itself supplies with
// Emitter.EmitAt). Only meaningful on From: elsewhere it makes the pipeline
// invalid, as does an f whose argument is not the source's element type.
func EventTime[T any](f func(T) time.Time) StageOption {
	return stageOption(func(c *stageConfig) { c.timestamps = f; c.given |= optEventTime })
}

// Watermarks sets a source's watermark strategy (default Ascending()). Only
// meaningful on From: elsewhere it makes the pipeline invalid.
func Watermarks(s WatermarkStrategy) StageOption {
	return stageOption(func(c *stageConfig) { c.watermarks = s; c.given |= optWatermarks })
}

// IdleTimeout marks a source idle after it has emitted nothing for d of
// processing time (default 0: never). An idle input no longer holds back the
// watermark of the stages it feeds; it becomes active again with its next
// element. Only meaningful on From: elsewhere it makes the pipeline invalid.
func IdleTimeout(d time.Duration) StageOption {
	return stageOption(func(c *stageConfig) { c.idleTimeout = d; c.given |= optIdleTimeout })
}
