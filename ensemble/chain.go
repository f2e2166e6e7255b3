package ensemble

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/normflow/normflow-go/mcmc"
	"github.com/normflow/normflow-go/run"
	"github.com/normflow/normflow-go/store"
)

// ChainFile holds the state of the last Metropolis chain sampled from a run
// (`normflow sample --mcmc`), so that `normflow sample --continue` carries it
// on exactly where it stopped.
const ChainFile = "chain.safetensors"

// chainKey is the safetensors metadata key of the chain's description (JSON).
const chainKey = "normflow.chain"

// ChainInfo describes a saved chain: its kind, counters and the model it was
// run with. The configuration itself is the tensor "current" (and "z" for a
// blocked chain); log q and log p of it are the tensor "logq_logp".
type ChainInfo struct {
	Kind     string `json:"kind"`            // "independence" or "blocked"
	Block    []int  `json:"block,omitempty"` // block extents of a blocked chain
	Seed     uint64 `json:"seed"`
	Steps    uint64 `json:"steps"`
	Accepted uint64 `json:"accepted"`
	Started  bool   `json:"started"`
	// ModelSHA256 is the SHA-256 of model.safetensors: a chain continues only
	// with the flow it was run with.
	ModelSHA256 string `json:"model_sha256"`
}

// SaveChain writes the chain state into dir (atomically).
func SaveChain(dir string, info ChainInfo, st mcmc.ChainState) error {
	info.Seed, info.Steps, info.Accepted, info.Started = st.Seed, st.Steps, st.Accepted, st.Started
	desc, err := json.Marshal(info)
	if err != nil {
		return err
	}
	ts := []store.Tensor{
		{Name: "current", Shape: []int{len(st.Current)}, Data: st.Current},
		{Name: "logq_logp", Shape: []int{2}, Data: []float64{st.LogQ, st.LogP}},
	}
	if st.Z != nil {
		ts = append(ts, store.Tensor{Name: "z", Shape: []int{len(st.Z)}, Data: st.Z})
	}
	return store.WriteSafetensors(filepath.Join(dir, ChainFile), ts, map[string]string{
		chainKey: string(desc), "format": "normflow-go/chain/1",
	})
}

// ErrNoChain reports that a run directory holds no saved chain.
var ErrNoChain = errors.New("no saved chain")

// LoadChain reads the chain state saved in dir and checks that it belongs to
// the run's current model.
func LoadChain(dir string) (ChainInfo, mcmc.ChainState, error) {
	path := filepath.Join(dir, ChainFile)
	var info ChainInfo
	tensors, meta, err := store.ReadSafetensors(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return info, mcmc.ChainState{}, fmt.Errorf("run directory %s: %w to continue (run `normflow sample --mcmc` first)", dir, ErrNoChain)
		}
		return info, mcmc.ChainState{}, err
	}
	bad := func(format string, args ...any) (ChainInfo, mcmc.ChainState, error) {
		return info, mcmc.ChainState{}, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	if err := json.Unmarshal([]byte(meta[chainKey]), &info); err != nil {
		return bad("chain description (metadata %q): %v", chainKey, err)
	}
	if info.Kind != "independence" && info.Kind != "blocked" {
		return bad("chain kind %q: want independence or blocked", info.Kind)
	}
	digest, err := run.ModelDigest(dir)
	if err != nil {
		return info, mcmc.ChainState{}, err
	}
	if info.ModelSHA256 != digest {
		was, now := store.DistinctPrefixes(info.ModelSHA256, digest, 12)
		return bad("the chain was run with another model (model SHA-256 %s, now %s): start a new chain with `normflow sample --mcmc`", was, now)
	}
	cur, ok := tensors["current"]
	lqp, ok2 := tensors["logq_logp"]
	if !ok || !ok2 || len(lqp.Data) != 2 {
		return bad("tensors current and logq_logp [2] are required")
	}
	st := mcmc.ChainState{
		Seed: info.Seed, Steps: info.Steps, Accepted: info.Accepted, Started: info.Started,
		Current: cur.Data, LogQ: lqp.Data[0], LogP: lqp.Data[1],
	}
	if z, ok := tensors["z"]; ok {
		st.Z = z.Data
	}
	if (info.Kind == "blocked") != (st.Z != nil) {
		return bad("a %s chain with%s prior variables z", info.Kind, map[bool]string{true: "", false: "out"}[st.Z != nil])
	}
	return info, st, nil
}
