#!/usr/bin/env python3
"""Write report.html (charts and data quality) for a warehouse; also `lifecycle report` (the code: lifecycle.report; --help says more)."""

import sys

from lifecycle.report import main

if __name__ == "__main__":
    sys.exit(main())
