package sketch

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

type userID string

func TestHashDeterministic(t *testing.T) {
	// Fixed values: these must never change (checkpoints depend on them).
	require.Equal(t, uint64(0xef46db3751d8e999), HashString(""))
	require.Equal(t, HashString("abc"), HashBytes([]byte("abc")))
	require.Equal(t, HashString("abc"), Hash(userID("abc")))
	require.Equal(t, HashString("abc"), Hash([]byte("abc")))
	require.Equal(t, HashInt64(-7), Hash(int8(-7)))
	require.Equal(t, HashInt64(-7), Hash(int32(-7)))
	require.Equal(t, HashInt64(-7), Hash(-7))
	require.Equal(t, HashUint64(7), Hash(uint16(7)))
	require.Equal(t, HashUint64(7), Hash(uint(7)))
	require.Equal(t, HashFloat64(0), Hash(math.Copysign(0, -1)))
	require.Equal(t, HashFloat64(1.5), Hash(float32(1.5)))
	require.Equal(t, HashUint64(1), Hash(true))
	nan := 0.0
	require.Equal(t, HashFloat64(nan/nan), HashFloat64(-(nan / nan)))
	require.NotEqual(t, HashInt64(1), HashInt64(2))
	require.Equal(t, 0.0, testing.AllocsPerRun(100, func() { Hash(userID("abc")) }))
}

func BenchmarkHash(b *testing.B) {
	b.Run("string", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			HashString("user-123456")
		}
	})
	b.Run("uint64", func(b *testing.B) {
		b.ReportAllocs()
		var i uint64
		for b.Loop() {
			i++
			HashUint64(i)
		}
	})
	b.Run("generic-string", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Hash(userID("user-123456"))
		}
	})
}
