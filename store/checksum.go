package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
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

// ChecksumMismatch is the error for a file whose stored checksum differs from
// the one its contents give. Both digests are shown abbreviated to 12
// characters, or further, to 4 characters past the first one in which they
// differ, so that the two printed strings always differ (a corrupted byte can
// lie inside the stored digest itself).
func ChecksumMismatch(stored, computed string) error {
	s, c := DistinctPrefixes(stored, computed, 12)
	return fmt.Errorf("checksum mismatch: the file is corrupted (stored %s, contents give %s)", s, c)
}

// DistinctPrefixes abbreviates two different strings to at least n
// characters and at least 4 past their first difference, marking a cut with
// "…"; an empty string, or one that holds characters outside printable
// ASCII, is quoted.
func DistinctPrefixes(a, b string, n int) (string, string) {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	k := max(n, i+4)
	cut := func(s string) string {
		if s == "" {
			return `""`
		}
		for _, r := range s {
			if r < 0x20 || r > 0x7e {
				return strconv.Quote(s)
			}
		}
		if len(s) > k {
			return s[:k] + "…"
		}
		return s
	}
	return cut(a), cut(b)
}
