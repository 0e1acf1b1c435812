"""The one exception of the reports package: an input file of a run directory is missing or malformed.

Its message is one line that names the file and says what is wrong; the command line
turns it into a usage error (exit 2). Also the bound on what a report reads of one file.
"""

from __future__ import annotations


class ReportInputError(Exception):
    """A run directory file is missing or malformed; the message is one line naming the file."""


#: The largest run-directory file a report reads (summary, trace, state file, graph): never read whole beyond it.
MAX_FILE_BYTES = 512 * 1024 * 1024
