"""`python -m ibbot` is the `ibbot` command."""

import sys

from ibbot.cli import main

sys.exit(main())
