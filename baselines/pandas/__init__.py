"""The marts of definitions §6 in pandas (what an analyst would write instead of dbt)."""
