package stream

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidPipeline is wrapped by every error Run returns for a pipeline
	// that cannot run as built: an unconsumed stream, a nil function, an option
	// used where it means nothing.
	ErrInvalidPipeline = errors.New("stream: invalid pipeline")
	// ErrAlreadyRun is returned by a second call to Pipeline.Run.
	ErrAlreadyRun = errors.New("stream: pipeline already run")
	// ErrDrainTimeout is returned when a cancelled pipeline did not drain
	// within the drain timeout (see WithDrainTimeout) and was stopped hard.
	ErrDrainTimeout = errors.New("stream: drain timed out")
)

// StageError is the error of one named stage. Run wraps every failure of a
// stage in a StageError, so errors.As finds the stage and errors.Is the cause.
type StageError struct {
	Stage string
	Err   error
}

// Error returns the cause after "stream: stage" and the quoted stage name.
func (e *StageError) Error() string { return fmt.Sprintf("stream: stage %q: %v", e.Stage, e.Err) }

// Unwrap returns the cause.
func (e *StageError) Unwrap() error { return e.Err }

// PanicError is the cause inside a StageError when user code panicked. Value
// is what was passed to panic; Stack is the goroutine's stack at the panic.
type PanicError struct {
	Value any
	Stack []byte
}

// Error returns "panic: <value>" (the stack is in Stack, not in the message).
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns Value if it is an error, so errors.Is sees through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// ErrorPolicy says what a stage does with an element that fails (a decode
// error in a source, an error returned by MapErr's function, a validation
// error reported by an operator). It never applies to panics, which always
// fail the pipeline.
type ErrorPolicy uint8

const (
	// FailOnError stops the pipeline: Run returns the element's error wrapped
	// in a StageError. The default.
	FailOnError ErrorPolicy = iota
	// SkipOnError drops the element and counts it in the stage's Errors metric
	// (and calls any ErrorHook).
	SkipOnError
	// DeadLetterOnError sends a DeadLetter carrying the element (or its raw
	// bytes), the error and the stage name to Pipeline.DeadLetters, and counts
	// it. Run fails at start if this policy is in force anywhere and nothing
	// consumes DeadLetters.
	DeadLetterOnError
)

// String returns "fail", "skip" or "dead-letter", or ErrorPolicy(n) for an
// undefined value.
func (p ErrorPolicy) String() string {
	switch p {
	case FailOnError:
		return "fail"
	case SkipOnError:
		return "skip"
	case DeadLetterOnError:
		return "dead-letter"
	}
	return fmt.Sprintf("ErrorPolicy(%d)", uint8(p))
}

// DeadLetter is an element that failed in a stage under DeadLetterOnError.
type DeadLetter struct {
	// Stage names the stage where the element failed.
	Stage string
	// Err is the failure.
	Err error
	// Value is the element as the stage received it; nil for a source's
	// undecodable input, which is in Raw instead.
	Value any
	// Raw is the original bytes of the input when the stage had them (a line
	// of text, a Kafka record value), else nil.
	Raw []byte
	// Time is the element's event time when known (Unix nanoseconds). For a
	// source's input it could not decode (Emitter.Reject), whose event time
	// is unknown, it is the highest event time the source emitted before it,
	// so that the dead letter sorts with its neighbours; before any, the
	// processing time at which it failed.
	Time int64
	// Meta carries source-specific origin information (for example a Kafka
	// topic, partition and offset), or nil.
	Meta map[string]string
}

var errNilOperator = errors.New("operator constructor returned nil")

// failure is the internal panic value that carries a pipeline failure up a
// chain of operators to the boundary of its task, where it is recovered. It is
// never seen outside this package.
type failure struct{ err error }
