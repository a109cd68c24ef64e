"""Baselines: the SPEC marts without dbt (a DuckDB SQL script and a pandas implementation)."""
