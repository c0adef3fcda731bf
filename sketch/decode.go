package sketch

import "encoding/binary"

// decoder reads the varints of an encoding in order. A failed read leaves ok
// false (and returns 0); later reads fail too, so a caller checks ok once.
type decoder struct {
	b  []byte
	ok bool
}

func newDecoder(b []byte) *decoder { return &decoder{b: b, ok: true} }

func (d *decoder) uvarint() uint64 {
	if !d.ok {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.ok = false
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint reads a zig-zag encoded varint, as binary.Varint.
func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}
