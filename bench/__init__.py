"""Benchmarks of TaskLib against its peers on one PostgreSQL server (see docs/benchmarks.md)."""
