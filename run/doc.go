// Package run trains flows into run directories and reads them back. A run
// directory holds the outputs of one training run, each written atomically:
// summary.json, history.csv, model.safetensors (the weights, with the run
// description in the metadata) and checkpoint.safetensors (everything a
// resumed run needs, verified on load).
//
// Start with Train (train a run description into a directory) or, for more
// control, NewJob and Resume then Job.Run; Load gives the trained model of a
// directory back for sampling (package ensemble). LoadCheckpoint,
// SaveModel and DiffRuns are the pieces the CLI's train --resume checks use.
package run
