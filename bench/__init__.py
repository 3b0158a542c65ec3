"""Benchmarks of ehz: a synthetic site, a loopback server and one report (`python -m bench.run`)."""
