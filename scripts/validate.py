#!/usr/bin/env python3
"""Run the Great Expectations suites of expectations/ on a warehouse; also `lifecycle validate` (the code: lifecycle.validate; --help says more)."""

import sys

from lifecycle.validate import main

if __name__ == "__main__":
    sys.exit(main())
