package stream

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
)

// Pipeline is a graph of stages built with From, the stage functions (Map,
// Filter, KeyBy, ...) and sinks, and run by Run. Building does no I/O and
// starts nothing; mistakes found while building are reported by Run.
//
// A Pipeline is not safe for concurrent building; Run may be called once.
type Pipeline struct {
	cfg   config
	nodes []*node
	errs  []error
	dlq   *node // the dead-letter stream, when asked for

	hashSeed maphash.Seed
	seeded   bool

	mu     sync.Mutex
	ran    bool
	metas  []*stageMeta
	byName map[string]*stageMeta
}

// New returns an empty pipeline configured by opts.
func New(opts ...Option) *Pipeline {
	p := &Pipeline{cfg: defaultConfig(), byName: map[string]*stageMeta{}}
	for _, o := range opts {
		o.applyPipeline(&p.cfg)
	}
	return p
}

// Metrics returns a snapshot of every named stage's counters, in the order the
// stages were added. It is safe to call while Run is running and after.
func (p *Pipeline) Metrics() []StageMetrics {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]StageMetrics, len(p.metas))
	for i, m := range p.metas {
		out[i] = m.snapshot()
	}
	return out
}

// Stage returns the metrics of the stage with the given name, or false.
func (p *Pipeline) Stage(name string) (StageMetrics, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.byName[name]
	if !ok {
		return StageMetrics{}, false
	}
	return m.snapshot(), true
}

// DeadLetters returns the stream of elements that failed in stages whose
// error policy is DeadLetterOnError, from every stage of the pipeline. It ends
// when every other input of the pipeline has ended. Calling it twice returns
// the same stream.
func (p *Pipeline) DeadLetters() Stream[DeadLetter] {
	if p.dlq == nil {
		p.dlq = newNode[DeadLetter](p, kindDeadLetters, "dead-letters", nil)
		p.dlq.build = func(_ *instanceCtx, out any) []any { return []any{out} }
	}
	return Stream[DeadLetter]{n: p.dlq}
}

// Invalid records a mistake found while building a stage (an invalid window
// size, a nil function): Run then fails at once, before starting anything,
// with an error wrapping ErrInvalidPipeline and err. It is for packages that
// add stages (window, join); stage names the stage.
func (p *Pipeline) Invalid(stage string, err error) {
	p.errorf("stage %q: %w", stage, err)
}

func (p *Pipeline) errorf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidPipeline}, args...)...))
}

func (p *Pipeline) buildErr() error { return errors.Join(p.errs...) }

type nodeKind uint8

const (
	kindSource nodeKind = iota
	kindOp
	kindSink
	kindUnion
	kindTwoInput
	kindDeadLetters
)

// edge is an input of a node: the upstream node and, for keyed edges, the
// hash of an element's key (a func(T) uint64 for the upstream element type).
type edge struct {
	from *node
	hash any
}

// node is one logical stage. Its element-type specific behaviour lives in
// closures and in out (a typedOut for its output type).
type node struct {
	p         *Pipeline
	id        int
	kind      nodeKind
	meta      *stageMeta
	inputs    []edge
	par       int   // 0 until computed at Run
	keyedPar  int   // requested parallelism of a keyed node (0: default)
	optional  bool  // a side output: may stay unconsumed
	sideOf    *node // for a side output: the stage that emits it
	out       outType
	consumers []*node

	// build instantiates instance i of a non-source node given its output
	// inlet (an inlet[O], or nil for sinks); it returns one inlet per input
	// port.
	build func(ic *instanceCtx, out any) []any
	// closeSource is a source's Close, called when Run ends.
	closeSource interface{ Close() error }
	// run runs instance 0 of a source node with its output inlet.
	run func(ic *instanceCtx, out any) error
}

// kindOptions lists the stage options each kind of node takes. A stage
// function may take fewer (stageConfig.only: Map takes no OnError); KeyBy,
// which adds no node, takes keyByOptions.
var kindOptions = [...]optSet{
	kindSource:      optName | optOnError | optEventTime | optWatermarks | optIdleTimeout,
	kindOp:          optName | optOnError,
	kindSink:        optName, // a sink's error always fails the pipeline
	kindUnion:       0,
	kindTwoInput:    optName | optOnError,
	kindDeadLetters: 0,
}

const (
	// keyByOptions are the options of KeyBy: it is no stage, so no Name.
	keyByOptions = optParallelism
	// plainOptions are the options of the stages without per-element
	// failure (Map, Filter, FlatMap, Tap): no OnError.
	plainOptions = optName
)

// kindNames names the node kinds in errors about a stage given no kind.
var kindNames = [...]string{
	kindSource:      "source",
	kindOp:          "operator",
	kindSink:        "sink",
	kindUnion:       "union",
	kindTwoInput:    "two-input",
	kindDeadLetters: "dead-letter",
}

// checkOptions records an invalid pipeline for each option in given that is
// not in takes; what names the stage in the error and whom the kind of stage.
func (p *Pipeline) checkOptions(what, whom string, given, takes optSet) {
	for i, opt := range optNames {
		if b := optSet(1) << i; given&b != 0 && takes&b == 0 {
			hint := ""
			if b == optParallelism {
				hint = " (a stage runs with its input's parallelism, a keyed stage with its KeyBy's)"
			}
			p.errorf("%s: option %s does not apply to %s%s", what, opt, whom, hint)
		}
	}
}

// newNode adds a node of kind to p, named after cfg's Name or else defName
// and its id, and checks cfg's options against the kind (and cfg.only). It
// panics if p is nil: with no pipeline the mistake cannot be reported by Run.
func newNode[O any](p *Pipeline, kind nodeKind, defName string, cfg *stageConfig) *node {
	if p == nil {
		panic("stream: nil *Pipeline (a Pipeline comes from New)")
	}
	n := &node{p: p, id: len(p.nodes), kind: kind, out: typedOut[O]{}}
	name := fmt.Sprintf("%s#%d", defName, n.id)
	policy := p.cfg.policy
	setsPolicy := false
	if cfg != nil {
		if cfg.name != "" {
			name = cfg.name
		}
		takes := kindOptions[kind]
		if cfg.only != 0 {
			takes &= cfg.only
		}
		if defName == "" {
			defName = kindNames[kind]
		}
		p.checkOptions(fmt.Sprintf("stage %q", name), "a "+defName+" stage", cfg.given, takes)
		if cfg.policy != nil && takes&optOnError != 0 {
			policy, setsPolicy = *cfg.policy, true
		}
	}
	p.mu.Lock()
	m, shared := p.byName[name]
	if shared {
		n.meta = m
	} else {
		n.meta = &stageMeta{name: name, policy: policy}
		p.metas = append(p.metas, n.meta)
		p.byName[name] = n.meta
	}
	p.mu.Unlock()
	if shared && setsPolicy && policy != m.policy {
		p.errorf("stage %q: OnError(%v) differs from the %v policy of the earlier stage of that name (stages sharing a name share one error policy)", name, policy, m.policy)
	}
	p.nodes = append(p.nodes, n)
	return n
}

func applyStageOptions(opts []StageOption) *stageConfig {
	c := &stageConfig{}
	for _, o := range opts {
		if o != nil {
			o.applyStage(c)
		}
	}
	return c
}

// own reports whether n, an input of the stage named stage, belongs to p, and
// records an invalid pipeline if not (n nil: the zero Stream, or another
// pipeline's).
func (p *Pipeline) own(n *node, stage string) bool {
	if n == nil {
		p.errorf("stage %s: input stream is the zero Stream", stage)
		return false
	}
	if n.p != p {
		p.errorf("stage %s: input stream belongs to another pipeline", stage)
		return false
	}
	return true
}
