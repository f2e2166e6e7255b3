package mcmc

import (
	"fmt"
	"math"
)

// ChainState is everything a Metropolis chain (Chain or BlockedChain) needs
// to continue exactly where it stopped: the counters, the current
// configuration with its log q and log p, and, for a blocked chain, the
// prior variables z it lives in. A chain restored from its state and run for
// n more steps gives bit for bit what the original chain would have given.
type ChainState struct {
	Seed     uint64
	Steps    uint64 // proposals made so far
	Accepted uint64 // proposals accepted so far
	Started  bool   // a first proposal has been accepted (Current is valid)
	Current  []float64
	LogQ     float64
	LogP     float64
	// Z holds the prior variables of Current (blocked chains only; nil for
	// an independence chain, whose proposals do not depend on its state).
	Z []float64
}

// validate checks a state against a configuration size (and z, when the
// chain keeps one).
func (s *ChainState) validate(size int, wantZ bool) error {
	if len(s.Current) != size {
		return fmt.Errorf("mcmc: chain state has a configuration of %d values, the model has %d", len(s.Current), size)
	}
	if wantZ && len(s.Z) != size {
		return fmt.Errorf("mcmc: blocked chain state has %d prior variables, the model has %d", len(s.Z), size)
	}
	if !wantZ && s.Z != nil {
		return fmt.Errorf("mcmc: chain state holds prior variables z: it belongs to a blocked chain")
	}
	if s.Accepted > s.Steps {
		return fmt.Errorf("mcmc: chain state: %d accepted of %d steps", s.Accepted, s.Steps)
	}
	if s.Started {
		if math.IsNaN(s.LogP-s.LogQ) || s.Accepted == 0 {
			return fmt.Errorf("mcmc: chain state: started but log p − log q = %g after %d acceptances", s.LogP-s.LogQ, s.Accepted)
		}
	} else if s.Accepted != 0 {
		return fmt.Errorf("mcmc: chain state: not started but %d proposals accepted", s.Accepted)
	}
	return nil
}

// State returns a copy of the chain's state.
func (c *Chain) State() ChainState {
	return ChainState{
		Seed: c.Seed, Steps: c.Steps, Accepted: c.Accepted, Started: c.started,
		Current: append([]float64(nil), c.cur...), LogQ: c.curLogq, LogP: c.curLogp,
	}
}

// Restore sets the chain to a state returned by State (of a chain on the
// same model); the chain then continues from it.
func (c *Chain) Restore(s ChainState) error {
	if err := s.validate(c.Model.Size(), false); err != nil {
		return err
	}
	c.Seed, c.Steps, c.Accepted, c.started = s.Seed, s.Steps, s.Accepted, s.Started
	copy(c.cur, s.Current)
	c.curLogq, c.curLogp = s.LogQ, s.LogP
	return nil
}
