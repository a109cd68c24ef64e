#!/usr/bin/env python3
"""Measure the pipeline against the baselines at given sizes (a developer tool) (the code: lifecycle_dev.benchmark; --help says more)."""

import sys

from lifecycle_dev.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
