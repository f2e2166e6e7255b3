package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/normflow/normflow-go/dist"
	"github.com/normflow/normflow-go/ensemble"
	"github.com/normflow/normflow-go/store"
)

// Where sample and hmc write their ensemble (--out FILE.npz, or an
// ensemble directory of shards, docs/architecture.md §7.5), and the
// checks made before any work: a path of the right kind, and room for the
// ensemble on disk and for its analysis in memory.

// chunkUsage is the help of --chunk.
const chunkUsage = "configurations per shard of --out DIR (at most 10000 shards), drawn, analysed and written at a time (0: about 64 MiB of configurations; a continued DIR keeps its own)"

// checkOut checks an --out path that needs no run directory: FILE.npz in
// an existing directory, or a directory name without a suffix.
func checkOut(out string) error {
	if ensemble.IsNPZ(out) {
		return checkNPZOut(out)
	}
	if ext := filepath.Ext(filepath.Clean(out)); ext != "" {
		return badInput("--out %s: give a name ending in .npz (one file) or a directory name without a suffix (an ensemble directory of shards)", out)
	}
	return nil
}

// outputPlan is what rank 0 decides before drawing: where the ensemble
// goes, how many configurations to draw, from which posterior index and
// seed (raw flow samples), and how many at a time.
type outputPlan struct {
	out   ensemble.Output // nil: not written, or a rank other than 0
	n     int
	first uint64
	seed  uint64
	chunk int
}

// newOutput opens --out for a new ensemble: nil for "", an .npz, or a new
// ensemble directory (hint says what to do with one that holds an
// ensemble already).
func newOutput(out, hint string) (ensemble.Output, error) {
	switch {
	case out == "":
		return nil, nil
	case ensemble.IsNPZ(out):
		return ensemble.NewNPZOutput(out), nil
	}
	if sh, err := ensemble.OpenShards(out); err == nil {
		return nil, badInput("%s: %s", sh.Describe(), hint)
	}
	sh, err := ensemble.NewShards(out)
	if err != nil {
		return nil, usageError{err}
	}
	return sh, nil
}

// checkRoom refuses up front a plan whose ensemble would not fit: its
// output in the free space of its directory (statfs; Linux), the numbers
// its analysis keeps in the memory available (MemAvailable; Linux), or its
// shards in ensemble.MaxShards. Elsewhere, or when a size cannot be read,
// the first two are not checked.
func checkRoom(a ensemble.Arrays, p outputPlan, twoPoint bool) error {
	npz := false
	if p.out != nil {
		path := p.out.Path()
		_, isDir := p.out.(*ensemble.Shards)
		npz = !isDir
		need := a.OutputBytes(p.n, p.chunk, isDir)
		where := filepath.Dir(path)
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			where = path
		}
		if abs, err := filepath.Abs(where); err == nil {
			where = abs
		}
		if free, err := store.FreeBytes(where); err == nil && uint64(need) > free {
			return badInput("--n: the %d configurations to draw need %s (%d bytes) in %s, but only %s (%d bytes) are free there",
				p.n, humanBytes(need), need, where, humanBytes(int64(min(free, math.MaxInt64))), free)
		}
	}
	need := a.MemoryBytes(p.n, p.chunk, twoPoint, npz)
	if avail, ok := memAvailable(); ok && need > avail {
		return badInput("--n: the %d configurations to draw need about %s of memory for their analysis (the ensemble itself is written a chunk at a time), but %s are available",
			p.n, humanBytes(need), humanBytes(avail))
	}
	if sh, ok := p.out.(*ensemble.Shards); ok {
		if shards := sh.Manifest().Shards + (p.n+p.chunk-1)/p.chunk; shards > ensemble.MaxShards {
			return badInput("--out %s would hold %d shards of %d configurations, more than %d: give a larger --chunk (0: about 64 MiB a shard)", sh.Path(), shards, p.chunk, ensemble.MaxShards)
		}
	}
	return nil
}

// memAvailable is the memory available for new allocations (Linux:
// MemAvailable of /proc/meminfo); ok is false where it cannot be read.
func memAvailable() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemAvailable:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10, err == nil && kb < math.MaxInt64>>10
		}
	}
	return 0, false
}

// humanBytes formats a size in binary units: "1.5 GiB".
func humanBytes(b int64) string {
	const units = "KMGTPE"
	if b < 1024 {
		return fmt.Sprintf("%d B", b)
	}
	v, i := float64(b)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}

// agree runs decide on rank 0 of world and gives every rank its values
// (any bits: uint64s as math.Float64frombits) or its error: rank 0
// returns decide's error, the others a usage error that main does not
// print (rank 0 reports it), so that no rank goes on to a collective rank
// 0 will not join.
func agree(world dist.Comm, size int, decide func() ([]float64, error)) ([]float64, error) {
	buf := make([]float64, size+1)
	var err error
	if world.Rank() == 0 {
		var vals []float64
		if vals, err = decide(); err != nil {
			buf[0] = 1
		} else {
			copy(buf[1:], vals)
		}
	}
	if world.Size() > 1 {
		world.Bcast(buf, 0)
	}
	switch {
	case err != nil:
		return nil, err
	case buf[0] != 0:
		return nil, usageError{ensemble.ErrRankZero}
	}
	return buf[1:], nil
}

// bits and unbits carry a uint64 in a float64 exactly (agree).
func bits(u uint64) float64   { return math.Float64frombits(u) }
func unbits(f float64) uint64 { return math.Float64bits(f) }

// isNotExist reports a missing manifest (or a path through a file).
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
