"""The ehz test suite (a package, so `tests.support` is ours even beside pywb's own `tests`)."""
