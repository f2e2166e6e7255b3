// Package model ties a prior, a flow and an action together: the model density
// q(φ) = r(z) |det ∂f/∂z|⁻¹ with φ = f(z), and the target p(φ) ∝ exp(−S[φ]).
// It is the seed library's Model, and the package to start from.
//
// # The parts
//
// A normalizing flow for a lattice field theory (Komijani & Marinkovic,
// arXiv:2301.01504) needs three things besides the lattice (package
// lattice, e.g. lattice.New(8, 8)):
//
//   - an action S[φ] that defines the target: package action (real scalar
//     φ⁴ in the seed library's and other conventions) or package gauge
//     (U(1) gauge theory in d = 2, 3, 4);
//   - a prior r(z) that is easy to sample: package prior (normal, uniform,
//     free field) or gauge.NewHaar;
//   - a flow f, a sequence of invertible layers: package flow (distribution
//     convertors, coupling layers whose conditioner networks come from
//     package nn, Fourier layers).
//
// New checks that they fit together and lays out the flow's parameters.
//
// # Training, sampling, measuring
//
//   - package train fits the flow by minimising the reverse Kullback–Leibler
//     divergence: train.DefaultOptions, then train.Fit (or train.NewTrainer
//     and Trainer.Fit, to keep the optimiser);
//   - Model.Posterior draws configurations φ ~ q with their log q and
//     log p = −S; package mcmc makes them an exact sampler of p
//     (mcmc.NewChain: an independence-Metropolis chain);
//   - package observable measures ⟨φ²⟩, susceptibilities, the two-point
//     function, … with errors from the Γ-method and the binned jackknife
//     (τ-aware bins for chains), and package stats has the
//     effective sample size, log Z and the error analysis.
//
// The example below is the seed library's one-site example, built by hand.
// The same model can be written as a TOML run description and built by
// package config (config.Parse, Run.BuildModel, Run.TrainOptions), which is
// what the normflow command runs; package examples holds the documented
// run descriptions.
package model
