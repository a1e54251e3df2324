"""Benchmark of the read API beside a bare Django view and Datasette (see README, "## Benchmark")."""
