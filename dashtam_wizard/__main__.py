"""`python -m dashtam_wizard`: the same as the `dashtam-wizard` command."""

import sys

from .cli import main

sys.exit(main())
