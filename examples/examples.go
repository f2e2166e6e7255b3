// Package examples embeds the documented run descriptions, so that the binary
// runs the seed example with no files at hand. Package config parses them
// (config.Parse); package model's documentation explains the parts.
package examples

import "embed"

// FS holds every examples/*.toml file.
//
//go:embed *.toml
var FS embed.FS

// Default is the run description used when no --config is given: the seed
// library's one-site φ⁴ example.
const Default = "seed_1site.toml"
