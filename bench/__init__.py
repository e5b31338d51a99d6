"""Benchmarks that print figures and ratios (see README.md). Importable as ``bench.*``."""
