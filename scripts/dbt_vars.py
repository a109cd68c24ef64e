#!/usr/bin/env python3
"""Check dbt vars, or write the README's settings table (--write-readme) (the code: lifecycle.dbt_vars; --help says more)."""

import sys

from lifecycle.dbt_vars import main

if __name__ == "__main__":
    sys.exit(main())
