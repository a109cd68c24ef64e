"""Reads published tables of a Spark warehouse into a pickle file (run by conftest.spark_tables).

A separate process: the local Derby metastore admits one process at a time, and a Spark session
is bound to one metastore, while the tests read several Spark warehouses in one session.
Usage: read_spark_tables.py OUTPUT schema.table [schema.table ...]
(LIFECYCLE_SPARK_DIR names the warehouse, as for the pipeline.)
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from lifecycle.engines.spark import SparkWarehouse


def main(output: str, tables: list[str]) -> None:
    found: dict[str, list[dict[str, object]]] = {}
    with SparkWarehouse() as wh:
        for table in tables:
            frame = wh.session.table(table)
            # keyed by table name alone, as conftest.TABLE_SCHEMAS names them
            found[table.partition('.')[2]] = [row.asDict() for row in frame.collect()]
    Path(output).write_bytes(pickle.dumps(found))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
