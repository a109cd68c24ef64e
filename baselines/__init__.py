"""Baselines: the marts of docs/definitions.md §6 without dbt (a DuckDB SQL script, pandas)."""
