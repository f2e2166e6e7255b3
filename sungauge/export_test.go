package sungauge

// Test helpers of the internal tests, for the external test package
// sungauge_test (the HMC and flow tests, which import mcmc and flow; those
// import this package, so they cannot be internal tests).
var (
	MustWilson  = mustWilson
	HaarConfigs = haarConfigs
)
