#!/usr/bin/env python3
"""Build, check and publish the customer-lifecycle warehouse; also `lifecycle run` (the code: lifecycle.pipeline; --help says more)."""

import sys

from lifecycle.pipeline import main

if __name__ == "__main__":
    sys.exit(main())
