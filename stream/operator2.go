package stream

// ApplyKeyed2 adds a keyed two-input stage (a join): both inputs are
// partitioned by key over the stage's parallelism (the left KeyBy's
// Parallelism, else the pipeline default), so the elements of one key from
// both sides meet in one instance. The two KeyBys must produce equal keys for
// elements that belong together; their key type is the same K. The stage runs
// as its own task behind an exchange; its watermark is the minimum of both
// inputs' (ignoring idle ones).
func ApplyKeyed2[K comparable, L, R, O any](left KeyedStream[K, L], right KeyedStream[K, R], kind string, newOp func(*OpContext[O]) Operator2[L, R], opts ...StageOption) Stream[O] {
	n, ok := keyed2Node[K, L, R, O](left, right, kind, newOp == nil, opts)
	if ok {
		buildOp2(n, func(c *OpContext[O], _ *instanceCtx) Operator2[L, R] { return newOp(c) })
	}
	return Stream[O]{n: n}
}

// ApplyKeyed2WithSides is ApplyKeyed2 for operators with a side output per
// input (a join's late elements of each side). The side streams may be left
// unconsumed: what the operator emits to them is then discarded (the
// operator should still count it). They are named after the stage with
// ".left" and ".right" appended.
func ApplyKeyed2WithSides[K comparable, L, R, O, SL, SR any](left KeyedStream[K, L], right KeyedStream[K, R], kind string, newOp func(c *OpContext[O], sideL *Collector[SL], sideR *Collector[SR]) Operator2[L, R], opts ...StageOption) (Stream[O], Stream[SL], Stream[SR]) {
	n, ok := keyed2Node[K, L, R, O](left, right, kind, newOp == nil, opts)
	sl, sr := newSide[SL](n, ".left"), newSide[SR](n, ".right")
	if ok {
		buildOp2(n, func(c *OpContext[O], ic *instanceCtx) Operator2[L, R] {
			return newOp(c, sideCollector[SL](c, sl, ic), sideCollector[SR](c, sr, ic))
		})
	}
	return Stream[O]{n: n}, Stream[SL]{n: sl}, Stream[SR]{n: sr}
}

// keyed2Node adds the node of a keyed two-input stage; !ok when its inputs
// belong to another pipeline (the pipeline is then invalid).
func keyed2Node[K comparable, L, R, O any](left KeyedStream[K, L], right KeyedStream[K, R], kind string, nilOp bool, opts []StageOption) (n *node, ok bool) {
	cfg := applyStageOptions(opts)
	in := left.n // a zero left input is reported by own, if right has a pipeline
	if in == nil {
		in = right.n
	}
	p := pipelineOf(in, kind)
	n = newNode[O](p, kindTwoInput, kind, cfg)
	if !p.own(left.n, n.meta.name) || !p.own(right.n, n.meta.name) {
		return n, false
	}
	if nilOp {
		p.errorf("stage %q: nil operator constructor", n.meta.name)
	}
	n.inputs = []edge{{from: left.n, hash: left.hashFunc(kind)}, {from: right.n, hash: right.hashFunc(kind)}}
	n.keyedPar = left.par
	if n.keyedPar == 0 {
		n.keyedPar = right.par
	}
	return n, true
}

func buildOp2[L, R, O any](n *node, newOp func(*OpContext[O], *instanceCtx) Operator2[L, R]) {
	n.build = func(ic *instanceCtx, out any) []any {
		c := &OpContext[O]{Out: newCollector(ic, out.(inlet[O])), ic: ic, wm: MinTime}
		op := newOp(c, ic)
		if op == nil {
			n.meta.fail(errNilOperator)
		}
		x := &op2Inlet[L, R, O]{opCtl: opCtl[O]{meta: n.meta, op: op, c: c, index: ic.index}, in: op}
		x.iw, _ = op.(InputWatermarks)
		if pt, ok := op.(ProcessingTimeOperator); ok {
			x.pt = pt
			ic.t.timers = append(ic.t.timers, x)
		}
		return []any{x, &op2Right[L, R, O]{x}}
	}
}

// InputWatermarks is implemented by two-input operators that need each
// input's own watermark, not only the minimum OnWatermark receives (a table
// join that waits until its table has caught up). OnInputWatermark is called
// whenever the watermark of input 0 (left) or 1 (right) advances, the input
// goes idle (idle true, wm its last watermark), or an idle input becomes
// active again (idle false, wm its last watermark, before its elements),
// before the merged watermark that this may advance. An input that ended
// after exhausting its data reports MaxTime.
type InputWatermarks interface {
	OnInputWatermark(input int, wm int64, idle bool)
}

// op2Inlet is the left port (and the control surface) of a two-input stage.
type op2Inlet[L, R, O any] struct {
	opCtl[O]
	in Operator2[L, R]
	iw InputWatermarks
}

func (x *op2Inlet[L, R, O]) portWatermark(port int, w int64, idle bool) {
	if x.iw == nil {
		return
	}
	defer x.meta.guard()
	x.iw.OnInputWatermark(port, w, idle)
	x.c.flush()
}

func (x *op2Inlet[L, R, O]) batch(b []Event[L]) {
	defer x.meta.guard()
	x.meta.in.Add(uint64(len(b)))
	x.in.ProcessLeft(b)
	x.c.flush()
}

// op2Right is the right port; its control calls are never used (the task
// sends control to port 0 only).
type op2Right[L, R, O any] struct{ x *op2Inlet[L, R, O] }

func (r *op2Right[L, R, O]) batch(b []Event[R]) {
	defer r.x.meta.guard()
	r.x.meta.in.Add(uint64(len(b)))
	r.x.in.ProcessRight(b)
	r.x.c.flush()
}
func (r *op2Right[L, R, O]) watermark(int64) {}
func (r *op2Right[L, R, O]) idle()           {}
func (r *op2Right[L, R, O]) end()            {}
func (r *op2Right[L, R, O]) barrier(barrier) {}
