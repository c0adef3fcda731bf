package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Run validates the pipeline, starts its tasks and blocks until it is done:
//
//   - every bounded source has ended and all results are flushed to the sinks:
//     Run returns nil;
//   - a stage failed (an error under FailOnError, a sink error, a panic in user
//     code): everything is stopped and Run returns the first failure, wrapped
//     in a StageError naming the stage;
//   - ctx was cancelled: sources stop at once, data in flight drains to the
//     sinks (no final watermark is sent, so no window fires early) and Run
//     returns ctx's error, or ErrDrainTimeout if draining took longer than the
//     drain timeout.
//
// No goroutine started by Run outlives it. Run may be called once.
func (p *Pipeline) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.ran {
		p.mu.Unlock()
		return ErrAlreadyRun
	}
	p.ran = true
	p.mu.Unlock()

	if err := p.cfg.validate(); err != nil {
		return err
	}
	if err := p.buildErr(); err != nil {
		return err
	}
	rt := newRuntime(p, ctx)
	defer rt.stop()
	if err := rt.plan(); err != nil {
		return err
	}
	return rt.run()
}

// runtime is one Run of a pipeline: its tasks and its failure state.
type runtime struct {
	p          *Pipeline
	cfg        config
	userCtx    context.Context
	srcCtx     context.Context // sources: cancelled by the user or by a failure
	srcCancel  context.CancelFunc
	failCtx    context.Context // everything else: cancelled by a failure only
	failCancel context.CancelFunc

	errMu sync.Mutex
	err   error

	errorHooks   []ErrorHook
	lateHooks    []LateHook
	metricsHooks []MetricsHook

	tasks []*task
	// instances[node id][i] are the per-port inlets of instance i.
	instances [][][]any
	taskOf    [][]*task
	dlqEdge   *xedge
	closers   []closer
	ckpt      coordinator
}

func newRuntime(p *Pipeline, ctx context.Context) *runtime {
	rt := &runtime{p: p, cfg: p.cfg, userCtx: ctx}
	rt.ckpt.pending = map[uint64]*pendingCkpt{}
	rt.ckpt.done = make(chan completion, 1)
	rt.failCtx, rt.failCancel = context.WithCancel(context.Background())
	rt.srcCtx, rt.srcCancel = context.WithCancel(ctx)
	for _, h := range p.cfg.hooks {
		if x, ok := h.(ErrorHook); ok {
			rt.errorHooks = append(rt.errorHooks, x)
		}
		if x, ok := h.(LateHook); ok {
			rt.lateHooks = append(rt.lateHooks, x)
		}
		if x, ok := h.(MetricsHook); ok {
			rt.metricsHooks = append(rt.metricsHooks, x)
		}
	}
	return rt
}

func (rt *runtime) stop() {
	rt.srcCancel()
	rt.failCancel()
}

// fail records the first failure and stops everything.
func (rt *runtime) fail(err error) {
	rt.errMu.Lock()
	if rt.err == nil {
		rt.err = err
	}
	rt.errMu.Unlock()
	rt.failCancel()
	rt.srcCancel()
}

func (rt *runtime) failed() error {
	rt.errMu.Lock()
	defer rt.errMu.Unlock()
	return rt.err
}

// plan validates the graph, decides parallelism, chaining and exchanges, and
// builds every stage instance.
func (rt *runtime) plan() error {
	p := rt.p
	p.mu.Lock()
	for _, n := range p.nodes {
		n.consumers = nil
		n.meta.rt = rt
	}
	p.mu.Unlock()
	defer func() {
		// Metrics may be read concurrently from now on.
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, n := range p.nodes {
			if len(n.meta.wms) < n.par {
				wms := make([]atomic.Int64, n.par)
				for i := range wms {
					wms[i].Store(MinTime)
				}
				n.meta.wms = wms
			}
		}
	}()
	for _, n := range p.nodes {
		for _, e := range n.inputs {
			// Once per consumer, even if it takes this producer on several
			// inputs (Union(s, s), a self-join): the instances are wired
			// per input below.
			if !slices.Contains(e.from.consumers, n) {
				e.from.consumers = append(e.from.consumers, n)
			}
		}
	}
	usesDLQ := false
	var errs []error
	for _, n := range p.nodes {
		if n.meta.policy == DeadLetterOnError && n.kind != kindSink {
			usesDLQ = true
		}
		if n.kind != kindSink && len(n.consumers) == 0 && !n.optional {
			errs = append(errs, fmt.Errorf("%w: the output of stage %q is not consumed", ErrInvalidPipeline, n.meta.name))
		}
	}
	if usesDLQ && (p.dlq == nil || len(p.dlq.consumers) == 0) {
		errs = append(errs, fmt.Errorf("%w: a stage uses DeadLetterOnError but nothing consumes Pipeline.DeadLetters", ErrInvalidPipeline))
	}
	hasSource := false
	for _, n := range p.nodes {
		hasSource = hasSource || n.kind == kindSource
	}
	if !hasSource {
		errs = append(errs, fmt.Errorf("%w: no source", ErrInvalidPipeline))
	}
	// Parallelism, in topological order (node ids are topological: a stage's
	// inputs always exist before it).
	for _, n := range p.nodes {
		switch n.kind {
		case kindSource, kindSink, kindUnion, kindDeadLetters:
			n.par = 1
		case kindTwoInput:
			n.par = rt.keyedPar(n)
		case kindOp:
			if n.inputs[0].hash != nil {
				n.par = rt.keyedPar(n)
			} else {
				n.par = n.inputs[0].from.par
			}
		}
	}
	// Stages downstream of the dead letters must not produce dead letters.
	downstreamOfDLQ := make([]bool, len(p.nodes))
	if p.dlq != nil {
		downstreamOfDLQ[p.dlq.id] = true
		for _, n := range p.nodes {
			for _, e := range n.inputs {
				if downstreamOfDLQ[e.from.id] {
					downstreamOfDLQ[n.id] = true
				}
			}
			if downstreamOfDLQ[n.id] && n.meta.policy == DeadLetterOnError && n.kind != kindSink && n.kind != kindDeadLetters {
				errs = append(errs, fmt.Errorf("%w: stage %q consumes dead letters and cannot use DeadLetterOnError", ErrInvalidPipeline, n.meta.name))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	// Tasks: each source instance and each exchange-fed instance heads one;
	// chained instances join the task of their input.
	rt.taskOf = make([][]*task, len(p.nodes))
	for _, n := range p.nodes {
		rt.taskOf[n.id] = make([]*task, n.par)
		for i := 0; i < n.par; i++ {
			if n.kind == kindSource || !rt.chained(n) {
				t := &task{rt: rt, head: n, index: i, name: n.meta.name, dlqDownstream: downstreamOfDLQ[n.id]}
				rt.tasks = append(rt.tasks, t)
				rt.taskOf[n.id][i] = t
			} else {
				rt.taskOf[n.id][i] = rt.taskOf[n.inputs[0].from.id][i]
			}
		}
	}
	// Inboxes and wmMerges for exchange-fed tasks.
	for _, t := range rt.tasks {
		if t.head.kind == kindSource {
			continue
		}
		t.inbox = &inbox{ch: make(chan envelope, rt.cfg.exchangeCap)}
	}
	// Dead-letter producers: every task not downstream of the dead letters.
	var dlqProducers []*task
	if p.dlq != nil {
		for _, t := range rt.tasks {
			if !t.dlqDownstream {
				t.dlqInput = len(dlqProducers)
				dlqProducers = append(dlqProducers, t)
			}
		}
		dt := rt.taskOf[p.dlq.id][0]
		rt.dlqEdge = &xedge{targets: []*inbox{dt.inbox}, pool: p.dlq.out.newPool(rt.cfg.exchangeCap*2, rt.cfg.batchSize)}
		dt.merge = newWMMerge(len(dlqProducers))
		dt.ports = make([]func(any), 1)
	}
	// Exchange edges: one per (producer node, consumer node port) that is not
	// chained.
	xedges := map[[2]int]*xedge{}
	for _, c := range p.nodes {
		if c.kind == kindSource || c.kind == kindDeadLetters || rt.chained(c) {
			continue
		}
		inputs := 0
		for port, e := range c.inputs {
			x := &xedge{port: int32(port), base: inputs, hash: e.hash, consumer: c.meta}
			if c.par == 1 {
				x.hash = nil
			}
			for i := 0; i < c.par; i++ {
				x.targets = append(x.targets, rt.taskOf[c.id][i].inbox)
			}
			x.pool = e.from.out.newPool(rt.cfg.exchangeCap*c.par+e.from.par*c.par+4, rt.cfg.batchSize)
			xedges[[2]int{e.from.id, c.id*64 + port}] = x
			inputs += e.from.par
		}
		for i := 0; i < c.par; i++ {
			t := rt.taskOf[c.id][i]
			t.merge = newWMMerge(inputs)
			t.ports = make([]func(any), len(c.inputs))
			if c.kind == kindTwoInput {
				// Each input's own watermark, for InputWatermarks.
				t.portOf = make([]portInput, 0, inputs)
				for port, e := range c.inputs {
					t.portMerge = append(t.portMerge, newWMMerge(e.from.par))
					for j := range e.from.par {
						t.portOf = append(t.portOf, portInput{port, j})
					}
				}
			}
		}
	}
	// Build instances in reverse topological order, so each instance's
	// consumers exist when it is built.
	rt.instances = make([][][]any, len(p.nodes))
	for id := len(p.nodes) - 1; id >= 0; id-- {
		n := p.nodes[id]
		rt.instances[id] = make([][]any, n.par)
		for i := 0; i < n.par; i++ {
			t := rt.taskOf[id][i]
			ic := &instanceCtx{rt: rt, t: t, n: n, index: i}
			var outs []any
			for _, c := range n.consumers {
				if c.sideOf == n {
					continue // fed by the operator's side collector
				}
				for port, e := range c.inputs {
					if e.from != n {
						continue
					}
					if c.kind != kindSource && c.kind != kindDeadLetters && rt.chained(c) {
						outs = append(outs, rt.instances[c.id][i][0])
					} else {
						x := xedges[[2]int{n.id, c.id*64 + port}]
						outs = append(outs, n.out.writer(x, x.base+i, rt))
					}
				}
			}
			var out any
			switch {
			case len(outs) > 0:
				out = n.out.fanout(outs)
			case n.kind != kindSink:
				out = n.out.discard()
			}
			if n.kind == kindSource {
				if n.closeSource != nil {
					rt.closers = append(rt.closers, closer{name: n.meta.name, c: n.closeSource})
				}
				t.out = out.(ctl)
				t.runSource = func() error { return n.run(ic, out) }
				rt.instances[id][i] = nil
				continue
			}
			var ports []any
			if err := recovered(n.meta.name, func() { ports = n.build(ic, out) }); err != nil {
				rt.closeAll() // the sinks and sources built so far
				return err
			}
			rt.instances[id][i] = ports
			if t.head == n {
				t.headCtl = ports[0].(ctl)
				for port, e := range n.inputs {
					x := xedges[[2]int{e.from.id, n.id*64 + port}]
					t.ports[port] = e.from.out.deliverer(ports[port], x.pool)
				}
				if n.kind == kindDeadLetters {
					t.ports[0] = n.out.deliverer(ports[0], rt.dlqEdge.pool)
				}
			}
		}
	}
	for _, t := range dlqProducers {
		t.dlq = p.dlq.out.writer(rt.dlqEdge, t.dlqInput, rt).(*xwriter[DeadLetter])
	}
	return nil
}

func (rt *runtime) keyedPar(n *node) int {
	if n.keyedPar > 0 {
		return n.keyedPar
	}
	return rt.cfg.parallelism
}

// chained reports whether n runs in its input's task, called directly: one
// input, same parallelism, and no repartitioning by key.
func (rt *runtime) chained(n *node) bool {
	if (n.kind != kindOp && n.kind != kindSink) || len(n.inputs) != 1 {
		return false
	}
	e := n.inputs[0]
	return e.from.par == n.par && (e.hash == nil || n.par == 1)
}

func (rt *runtime) run() error {
	var wg sync.WaitGroup
	for _, t := range rt.tasks {
		wg.Go(t.run)
	}
	coordStop := make(chan struct{})
	var coordWG sync.WaitGroup
	coordWG.Go(func() { rt.runCoordinator(coordStop) })
	// Graceful shutdown: after the user cancels, draining has drainTimeout.
	var drainTimer *time.Timer
	var drainMu sync.Mutex
	drained := false // set once the tasks are done: no timer after that
	stopAfter := context.AfterFunc(rt.userCtx, func() {
		drainMu.Lock()
		defer drainMu.Unlock()
		if !drained {
			drainTimer = time.AfterFunc(max(rt.cfg.drainTimeout, 0), func() { rt.fail(ErrDrainTimeout) })
		}
	})
	// Metrics ticker.
	metricsDone := make(chan struct{})
	var metricsWG sync.WaitGroup
	if rt.cfg.metricsInterval > 0 && len(rt.metricsHooks) > 0 {
		metricsWG.Go(func() {
			tk := time.NewTicker(rt.cfg.metricsInterval)
			defer tk.Stop()
			for {
				select {
				case <-tk.C:
					rt.publishMetrics()
				case <-metricsDone:
					return
				}
			}
		})
	}
	wg.Wait()
	stopAfter()
	drainMu.Lock()
	drained = true
	if drainTimer != nil {
		drainTimer.Stop()
	}
	drainMu.Unlock()
	close(metricsDone)
	metricsWG.Wait()
	close(coordStop)
	coordWG.Wait()
	if rt.failed() == nil {
		// Deliver a completion the coordinator had not handed over yet, then
		// the final checkpoint.
		select {
		case d := <-rt.ckpt.done:
			rt.complete(d)
		default:
		}
		rt.ckpt.mu.Lock()
		final := rt.ckpt.final
		rt.ckpt.mu.Unlock()
		if final != nil && rt.failed() == nil { // (a Complete may have failed it)
			rt.complete(*final)
		}
	}
	if err := rt.closeAll(); err != nil {
		rt.fail(err)
	}
	rt.publishMetrics()
	if err := rt.failed(); err != nil {
		if errors.Is(err, ErrDrainTimeout) {
			return err
		}
		if rt.userCtx.Err() != nil && errors.Is(err, rt.userCtx.Err()) {
			return rt.userCtx.Err()
		}
		return err
	}
	if err := rt.userCtx.Err(); err != nil {
		return err
	}
	return nil
}

// closeAll closes the sinks and sources that have a Close method, all of
// them, and returns the first failure (an error or a panic) naming its
// stage.
func (rt *runtime) closeAll() error {
	var first error
	for _, c := range rt.closers {
		var err error
		if perr := recovered(c.name, func() { err = c.c.Close() }); perr != nil {
			err = perr
		} else if err != nil {
			err = &StageError{Stage: c.name, Err: err}
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// recovered calls f and returns, as an error naming stage, the failure it
// raised (a stage's failure or a panic in user code), or nil.
func recovered(stage string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = asFailure(stage, r).err
		}
	}()
	f()
	return nil
}

func (rt *runtime) publishMetrics() {
	if len(rt.metricsHooks) == 0 {
		return
	}
	snap := rt.p.Metrics()
	for _, h := range rt.metricsHooks {
		h.OnMetrics(snap)
	}
}

// instanceCtx is what a stage instance's builder gets: its runtime, task and
// position among the node's parallel instances.
type instanceCtx struct {
	rt    *runtime
	t     *task
	n     *node
	index int
}

// procTimer is implemented by instances that want processing-time ticks.
type procTimer interface{ onProcTime(now int64) }

// task is one goroutine: a source or an exchange-fed head, and the chain of
// instances called directly from it.
type task struct {
	rt    *runtime
	head  *node
	index int
	name  string

	runSource func() error
	out       ctl // a source task's output

	inbox   *inbox
	merge   *wmMerge
	ports   []func(any)
	headCtl ctl

	timers []procTimer
	ticker *time.Ticker

	dlq           *xwriter[DeadLetter]
	dlqInput      int
	dlqDownstream bool
	final         bool // saw the final watermark
	// two-input heads: per-input merges and where each producer belongs
	portMerge []*wmMerge
	portOf    []portInput
	aligning  map[uint64]*alignment
	dlqBuf    [1]Event[DeadLetter]
}

func (t *task) tickC() <-chan time.Time {
	if t.ticker == nil {
		return nil
	}
	return t.ticker.C
}

// sendDeadLetter forwards one dead letter to the pipeline's dead-letter
// stream; it blocks while that stream is backed up.
func (t *task) sendDeadLetter(d DeadLetter) {
	t.dlqBuf[0] = Event[DeadLetter]{Value: d, Time: d.Time}
	t.dlq.batch(t.dlqBuf[:])
	t.dlqBuf[0] = Event[DeadLetter]{}
}

// protect runs f and turns a failure raised inside it into the pipeline's
// failure. It reports whether f completed.
func (t *task) protect(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
			// (not a failure: a panic outside any stage guard, in runtime
			// code or a source)
			fl := asFailure(t.name, r)
			if fl != errAborted {
				t.rt.fail(fl.err)
			}
		}
	}()
	f()
	return true
}

func (t *task) run() {
	if len(t.timers) > 0 || t.head.kind == kindSource {
		t.ticker = time.NewTicker(t.rt.cfg.tick)
		defer t.ticker.Stop()
	}
	if t.head.kind == kindSource {
		t.runSourceTask()
	} else {
		t.runExchangeTask()
	}
	if t.dlq != nil && t.rt.failCtx.Err() == nil {
		t.protect(func() {
			if t.final {
				t.dlq.watermark(MaxTime)
			}
			t.dlq.end()
		})
	}
}

func (t *task) runSourceTask() {
	var err error
	ok := t.protect(func() { err = t.runSource() })
	if !ok || t.rt.failCtx.Err() != nil {
		return
	}
	if err != nil && t.rt.userCtx.Err() == nil {
		var se *StageError
		if !errors.As(err, &se) {
			err = &StageError{Stage: t.name, Err: err}
		}
		t.rt.fail(err)
		return
	}
	// The source ended: with the final watermark if its input is exhausted,
	// without it if the run was cancelled. The emitter's finish does both.
}

func (t *task) runExchangeTask() {
	done := t.rt.failCtx.Done()
	for {
		select {
		case env := <-t.inbox.ch:
			finished := false
			if !t.protect(func() { finished = t.handle(env) }) {
				return
			}
			if finished {
				return
			}
		case now := <-t.tickC():
			if !t.protect(func() { t.tick(now.UnixNano()) }) {
				return
			}
		case <-done:
			return
		}
	}
}

func (t *task) tick(now int64) {
	for _, pt := range t.timers {
		pt.onProcTime(now)
	}
}

// handle processes one envelope; it reports whether every input has ended.
func (t *task) handle(env envelope) bool {
	i := int(env.input)
	if t.portMerge != nil {
		t.handlePort(env)
	}
	// The merged watermark first: it is in order before the batch, and an
	// input's end or idleness may advance it.
	w, adv, idle := t.merge.apply(env.kind, i, env.wm)
	if adv {
		t.watermark(w)
	}
	switch env.kind {
	case msgBatch:
		t.ports[env.port](env.data)
	case msgIdle:
		if idle {
			t.headCtl.idle()
		}
	case msgBarrier:
		t.alignBarrier(i, env.bar)
	case msgEnd:
		t.alignPending()
		if t.merge.allEnded() {
			t.headCtl.end()
			return true
		}
	}
	return false
}

type portInput struct{ port, index int }

// portWatermarker is implemented by two-input heads to learn each input's
// own watermark.
type portWatermarker interface {
	portWatermark(port int, w int64, idle bool)
}

// handlePort keeps the watermark of each input of a two-input head and tells
// the head when one advances or goes idle, before the merged watermark.
func (t *task) handlePort(env envelope) {
	pi := t.portOf[env.input]
	m := t.portMerge[pi.port]
	wasIdle := m.isIdl
	w, adv, idle := m.apply(env.kind, pi.index, env.wm)
	idle = idle && env.kind == msgIdle // (all ended is not idleness)
	resumed := wasIdle && !m.isIdl     // active again, at its last watermark
	if adv || idle || resumed {
		if pw, ok := t.headCtl.(portWatermarker); ok {
			pw.portWatermark(pi.port, w, idle)
		}
	}
}

// alignBarrier records barrier b from input i and forwards it once every
// input has delivered it or ended.
func (t *task) alignBarrier(i int, b barrier) {
	if t.aligning == nil {
		t.aligning = map[uint64]*alignment{}
	}
	a := t.aligning[b.id]
	if a == nil {
		a = &alignment{seen: make([]bool, len(t.merge.wm))}
		t.aligning[b.id] = a
	}
	a.seen[i] = true
	if a.any {
		a.b = a.b.merge(b)
	} else {
		a.b, a.any = b, true
	}
	t.alignPending()
}

// alignPending forwards, in id order, the barriers every live input has
// delivered.
func (t *task) alignPending() {
	for len(t.aligning) > 0 {
		var id uint64
		first := true
		for k := range t.aligning {
			if first || k < id {
				id, first = k, false
			}
		}
		a := t.aligning[id]
		for i, s := range a.seen {
			if !s && !t.merge.ended[i] {
				return
			}
		}
		delete(t.aligning, id)
		t.forwardBarrier(a.b)
	}
}

func (t *task) forwardBarrier(b barrier) {
	t.headCtl.barrier(b)
	if t.dlq != nil {
		t.dlq.barrier(barrier{id: b.id, retained: MaxTime})
	}
}

func (t *task) watermark(w int64) {
	if w == MaxTime {
		t.final = true
	}
	t.headCtl.watermark(w)
}
