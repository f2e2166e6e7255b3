package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"sort"
)

// Checksum returns the SHA-256 (hex) of a canonical encoding of tensors and
// metadata: the tensors in name order, each as its name, shape and the bits
// of its values, then the metadata entries in key order, every field
// length-prefixed so that no two different inputs share an encoding. It does
// not depend on the order of tensors or on the byte layout of a file, so a
// reader recomputes it from what it decoded: a checkpoint stores it in its
// metadata to detect corruption that still parses.
func Checksum(tensors []Tensor, metadata map[string]string) string {
	h := sha256.New()
	var buf [8]byte
	putInt := func(n uint64) {
		binary.LittleEndian.PutUint64(buf[:], n)
		h.Write(buf[:])
	}
	putString := func(s string) {
		putInt(uint64(len(s)))
		h.Write([]byte(s))
	}
	h.Write([]byte("normflow-checksum/1\x00"))
	ts := slices.Clone(tensors)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	putInt(uint64(len(ts)))
	for _, t := range ts {
		putString(t.Name)
		putInt(uint64(len(t.Shape)))
		for _, d := range t.Shape {
			putInt(uint64(d))
		}
		putInt(uint64(len(t.Data)))
		for _, v := range t.Data {
			putInt(math.Float64bits(v))
		}
	}
	keys := make([]string, 0, len(metadata))
	for k := range metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	putInt(uint64(len(keys)))
	for _, k := range keys {
		putString(k)
		putString(metadata[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
