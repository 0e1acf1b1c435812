"""The one exception type that means "the user asked for something we cannot do".

The command line turns a `UsageError` into one line on stderr and exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage or bad input: the message says what was wrong and how to fix it."""
