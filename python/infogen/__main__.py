"""``python -m infogen`` runs the command line."""
import sys

from infogen.cli import main

sys.exit(main())
