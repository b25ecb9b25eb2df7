"""Benchmarks: scripts that print timings and ratios (speed is measured here, never asserted in tests)."""
