package source

import (
	"context"
	"testing"
)

// TestKafkaReviewAllDoneWhileBalancing: between an eager revocation (every
// partition) and the assignment that follows, the partitions about to be
// re-assigned are not tracked: a KafkaStopAtEnd Run must not stop then.
func TestKafkaReviewAllDoneWhileBalancing(t *testing.T) {
	r := &kafkaRun[int]{src: &KafkaSource[int]{cfg: kafkaConfig{stopAtEnd: true}}, group: "g",
		parts: map[topicPart]*partState{}, pending: map[uint64]map[*partState]int64{}}
	r.assigns = 1 // what onAssigned sets
	tp := topicPart{"in", 0}
	st := r.newPart(tp, 0)
	st.end = 1000 // not read to its end yet
	r.parts[tp] = st
	if r.allDone() {
		t.Fatal("done before reading")
	}
	r.onRevoked(context.Background(), nil, map[string][]int32{"in": {0}})
	if r.allDone() {
		t.Errorf("allDone() = true while balancing (partition 0 not read to its end, about to be re-assigned): StopAtEnd stops early")
	}
}
