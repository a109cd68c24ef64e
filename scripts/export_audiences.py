#!/usr/bin/env python3
"""Write one audience file per playbook action; also `lifecycle export-audiences` (the code: lifecycle.audiences; --help says more)."""

import sys

from lifecycle.audiences import main

if __name__ == "__main__":
    sys.exit(main())
