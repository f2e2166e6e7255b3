// Package store reads and writes the on-disk artefacts of normflow:
// model checkpoints in the safetensors format, field-configuration
// ensembles as NumPy .npy/.npz files, and (through [AtomicWriteFile]) any
// other output such as JSON or CSV.
//
// Every writer in this package is atomic: data is written to a temporary
// file in the destination directory, flushed to stable storage, and then
// renamed over the target, so a crash or an error never leaves a
// half-written file under the final name.
//
// Every reader validates its input completely before trusting it and
// reports problems as a [*FormatError] naming the file and the defect;
// malformed or hostile input yields an error, never a panic or an
// unbounded allocation.
//
// The normflow command writes its run directories and ensembles with it; a
// Go user can write a model's parameters (one Tensor per nn.Param) as
// safetensors and field configurations as NumPy arrays. Start with package
// model.
package store
