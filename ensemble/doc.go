// Package ensemble holds sets of configurations with the kind of field they
// are (FieldKind: a real scalar field, U(1) link angles, or SU(N) matrices
// or links, stored as complex128, docs/architecture.md §7.5): drawing them
// from a trained model (raw flow samples or Metropolis chains, on one
// process or gathered over MPI ranks), saving and continuing a chain
// (chain.safetensors in the run directory), analysing them (ESS, log Z,
// acceptance, observables), writing them as NumPy .npz files with their
// kind, and reading ensemble files back for measurement (ReadFile).
//
// Start with Draw (or SampleChain for a chain that can be continued) on a
// model loaded with run.Load, then Ensemble.Analyse and Ensemble.WriteNPZ;
// to measure a file, ReadFile, then File.Scalar or File.Links by File.Kind,
// and File.LogW. How a file records its kind, and how files without it are
// classified, is described in kind.go.
//
// Large ensembles never sit in memory: DrawRaw, StreamChain and StreamHMC
// draw, analyse and write them a chunk at a time (Drawn keeps only the
// per-configuration series the analysis needs), to a single streamed .npz
// (NewNPZOutput) or to an ensemble directory of shards with a manifest
// (Shards, docs/architecture.md §7.9) that a killed chain continues from its
// last complete shard; Open reads any of them back a piece at a time
// (Source). Arrays estimates the disk space and memory a run will need, so
// that the CLI refuses one that cannot fit before it starts.
package ensemble
