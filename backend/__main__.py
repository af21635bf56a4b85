"""``python -m backend``: Torchwork's command line (see :mod:`backend.cli`)."""

import sys

from backend.cli import main

if __name__ == "__main__":
    sys.exit(main())
