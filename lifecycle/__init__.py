"""The customer-lifecycle warehouse's Python side: the pipeline that builds, checks and publishes
the dbt project (`lifecycle run`), the data-quality suites (`lifecycle validate`), the report and
the audience exports, with one module per engine under `lifecycle.engines`.

The package is installed in editable mode by `make setup` and always works on the dbt project it
sits in: PROJECT_DIR is the repository's root (dbt_project.yml, profiles.yml, expectations/)."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
