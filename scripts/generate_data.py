#!/usr/bin/env python3
"""Generate realistic raw orders and touchpoints (a developer tool) (the code: lifecycle_dev.generate_data; --help says more)."""

import sys

from lifecycle_dev.generate_data import main

if __name__ == "__main__":
    sys.exit(main())
