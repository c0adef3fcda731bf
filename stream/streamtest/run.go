package streamtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/stream"
)

// Timeout is how long Run and RunErr let a pipeline run before they cancel
// it and fail the test: a test pipeline over bounded input that runs longer
// is taken to hang.
const Timeout = 30 * time.Second

// Run runs p to completion and fails the test (t.Fatal) if Run returns an
// error or does not return within Timeout. It must be called from the test's
// goroutine.
func Run(t testing.TB, p *stream.Pipeline) {
	t.Helper()
	if err := RunErr(t, p); err != nil {
		t.Fatalf("streamtest: pipeline failed: %v", err)
	}
}

// RunErr runs p and returns what Run returned, for tests that expect an
// error. It fails the test (t.Fatal) only if the pipeline does not finish
// within Timeout, or within the test's deadline (go test -timeout) if that
// comes first.
func RunErr(t testing.TB, p *stream.Pipeline) error {
	t.Helper()
	return RunWithin(t, p, Timeout)
}

// RunWithin is RunErr with a timeout of d.
func RunWithin(t testing.TB, p *stream.Pipeline, d time.Duration) error {
	t.Helper()
	if dl, ok := deadline(t); ok {
		if left := time.Until(dl) - time.Second; left > 0 && left < d {
			d = left
		}
	}
	ctx, cancel := context.WithTimeoutCause(context.Background(), d, errTimeout)
	defer cancel()
	err := p.Run(ctx)
	if context.Cause(ctx) == errTimeout && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, stream.ErrDrainTimeout)) {
		t.Fatalf("streamtest: pipeline did not finish within %v (it was cancelled: %v)", d, err)
	}
	return err
}

var errTimeout = errors.New("streamtest: timeout")

func deadline(t testing.TB) (time.Time, bool) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		return d.Deadline()
	}
	return time.Time{}, false
}

// Equal fails the test (t.Fatal) unless got and want are deeply equal
// (reflect.DeepEqual: a nil and an empty slice differ), reporting both. For
// slices it names the first index that differs, and for strings (a Trace)
// the first line.
func Equal[T any](t testing.TB, got, want T) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	t.Fatalf("streamtest: mismatch%s\n got: %s\nwant: %s", where(got, want), show(got), show(want))
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return "\n" + s
	}
	return fmt.Sprintf("%#v", v)
}

func where(got, want any) string {
	if g, ok := got.(string); ok {
		gl, wl := strings.Split(g, "\n"), strings.Split(want.(string), "\n")
		for i := range max(len(gl), len(wl)) {
			if i >= len(gl) || i >= len(wl) || gl[i] != wl[i] {
				return fmt.Sprintf(" at line %d", i+1)
			}
		}
		return ""
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	if gv.Kind() != reflect.Slice {
		return ""
	}
	if gv.Len() != wv.Len() {
		for i := range min(gv.Len(), wv.Len()) {
			if !reflect.DeepEqual(gv.Index(i).Interface(), wv.Index(i).Interface()) {
				return fmt.Sprintf(" at index %d (len %d, want %d)", i, gv.Len(), wv.Len())
			}
		}
		return fmt.Sprintf(" (len %d, want %d)", gv.Len(), wv.Len())
	}
	for i := range gv.Len() {
		if !reflect.DeepEqual(gv.Index(i).Interface(), wv.Index(i).Interface()) {
			return fmt.Sprintf(" at index %d", i)
		}
	}
	return ""
}

// VerifyNoLeaks checks, when the test ends (t.Cleanup), that no goroutine
// running weir code (a pipeline task, a source or sink it called) is left
// that was not there when VerifyNoLeaks was called. It waits up to two
// seconds for such goroutines to exit, then fails the test with their
// stacks. Goroutines of other packages are not looked at, so tests running
// in parallel with their own pipelines may make it report theirs: use it in
// tests that do not call t.Parallel, or use go.uber.org/goleak for a full
// check.
func VerifyNoLeaks(t testing.TB) {
	t.Helper()
	before := weirGoroutines()
	t.Cleanup(func() {
		var leaked []string
		for wait := time.Millisecond; ; wait *= 2 {
			leaked = leaked[:0]
			for id, stack := range weirGoroutines() {
				if _, ok := before[id]; !ok {
					leaked = append(leaked, stack)
				}
			}
			if len(leaked) == 0 || wait > time.Second {
				break
			}
			time.Sleep(wait)
		}
		if len(leaked) > 0 {
			slices.Sort(leaked)
			t.Errorf("streamtest: %d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

const weirPath = "github.com/weirhq/weir/"

// weirGoroutines returns the stacks of the goroutines running or created by
// weir code (outside this package), by goroutine id.
func weirGoroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		// "goroutine 42 [chan receive]:"
		f := strings.Fields(header)
		if len(f) < 2 || f[0] != "goroutine" {
			continue
		}
		if strings.Contains(g, weirPath) && !strings.Contains(g, weirPath+"stream/streamtest.weirGoroutines") {
			out[f[1]] = g
		}
	}
	return out
}
