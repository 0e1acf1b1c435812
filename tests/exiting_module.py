"""A module that calls sys.exit(0) when imported (`--property tests.exiting_module:anything`): refused, exit 2."""

import sys

sys.exit(0)
