"""``python -m camviz.cli`` runs the command line, like ``python -m camviz``."""

import sys

from camviz.cli import main

sys.exit(main())
