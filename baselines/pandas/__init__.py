"""The SPEC marts in pandas (what an analyst would write instead of the dbt project)."""
