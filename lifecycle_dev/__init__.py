"""Tools for the project's developers, not part of the product: the generated-data maker, the
benchmark and the throwaway PostgreSQL server of the tests (scripts/generate_data.py and
scripts/benchmark.py are their command lines)."""
