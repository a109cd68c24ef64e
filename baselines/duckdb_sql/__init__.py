"""The marts of definitions §6 as one hand-written DuckDB SQL script (lifecycle.sql), no dbt."""
