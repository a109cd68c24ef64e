"""The SPEC marts as one hand-written DuckDB SQL script (lifecycle.sql), without dbt."""
