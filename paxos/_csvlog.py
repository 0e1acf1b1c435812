"""The CSV family shared by the event log (`paxos-log/1`) and counterexample traces (`paxos-trace/1`).

Owns the column lists, how a message becomes CSV fields, and `PaxosLogger`,
the seed's in-memory event log with `save_to_csv()`. The checker's trace
writer builds on the same columns (docs/formats.md). Writing is atomic.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping

from paxos._atomic import atomic_write_text
from paxos._messages import Accept, Accepted, Message, Nack, Prepare, Promise

LOG_FORMAT = "paxos-log/1"
TRACE_FORMAT = "paxos-trace/1"

#: Columns every member of the family has, in order.
COMMON_COLUMNS: tuple[str, ...] = (
    "format", "step", "event", "node", "peer", "msg_type", "bal", "value",
    "max_vbal", "max_val", "state_change", "fingerprint", "property", "detail",
)
#: The event log adds `round` after `step`.
LOG_COLUMNS: tuple[str, ...] = (*COMMON_COLUMNS[:2], "round", *COMMON_COLUMNS[2:])
TRACE_COLUMNS: tuple[str, ...] = COMMON_COLUMNS
#: The columns that describe one step (`event` .. `state_change`): checker.model.StepRow's fields, in order.
STEP_COLUMNS: tuple[str, ...] = COMMON_COLUMNS[2:11]
#: The `event` of a trace's step rows: implementation model, Spec model.
IMPL_EVENTS: tuple[str, ...] = ("propose", "deliver", "drop", "duplicate", "crash", "restart", "timeout")
SPEC_EVENTS: tuple[str, ...] = ("phase1a", "phase1b", "phase2a", "phase2b")


def text(value: object) -> str:
    """A value as CSV text: empty for None."""
    return "" if value is None else str(value)


def message_fields(msg: Message) -> dict[str, str]:
    """The CSV columns describing one message (msg_type, bal, value, max_vbal, max_val)."""
    fields = {"msg_type": type(msg).__name__, "bal": str(msg.bal), "value": "", "max_vbal": "", "max_val": ""}
    if isinstance(msg, (Accept, Accepted)):
        fields["value"] = text(msg.val)
    elif isinstance(msg, Promise):
        fields["max_vbal"] = str(msg.max_vbal)
        fields["max_val"] = text(msg.max_val)
    elif isinstance(msg, Nack):
        fields["max_vbal"] = str(msg.promised)  # the higher ballot that refused `bal`
        fields["value"] = str(msg.phase) if msg.phase else ""  # the phase it answers; empty: unsaid
    else:
        assert isinstance(msg, Prepare)
    return fields


def render_csv(columns: Iterable[str], rows: Iterable[Mapping[str, object]]) -> str:
    """CSV text with a header; every row gets every column (missing ones empty)."""
    cols = list(columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=cols, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: text(row.get(c)) for c in cols})
    return buffer.getvalue()


class PaxosLogger:
    """The seed's event log: every message sent or received, and every node state change.

    `PaxosLogger(round=1, filename="paxosresult.csv")`; nodes and the cluster
    call `log(...)`; `save_to_csv()` writes the `paxos-log/1` CSV atomically.
    """

    def __init__(self, round: int = 1, filename: str | os.PathLike[str] = "paxosresult.csv") -> None:
        self.round = round
        self.filename = filename
        self.entries: list[dict[str, str]] = []

    def log(
        self,
        event: str,
        node: int | None = None,
        peer: int | None = None,
        msg: Message | None = None,
        state_change: str = "",
        detail: str = "",
        value: object = None,
    ) -> None:
        """Record one event (`send`, `receive`, `propose`, `fail`, `recover`, `learn`, ...).

        `value` fills the `value` column of rows without a message (the
        proposed or learned value); a message's own fields take precedence.
        """
        row = {c: "" for c in LOG_COLUMNS}
        row.update(
            format=LOG_FORMAT, step=str(len(self.entries) + 1), round=str(self.round), event=event,
            node=text(node), peer=text(peer), value=text(value), state_change=state_change, detail=detail,
        )
        if msg is not None:
            fields = message_fields(msg)
            if state_change:
                fields.pop("state_change", None)
            row.update(fields)
        self.entries.append(row)

    def events(self, event: str | None = None, msg_type: str | None = None) -> list[dict[str, str]]:
        """The recorded rows, optionally only those of one event and/or message type."""
        return [
            e for e in self.entries
            if (event is None or e["event"] == event) and (msg_type is None or e["msg_type"] == msg_type)
        ]

    def save_to_csv(self, filename: str | os.PathLike[str] | None = None) -> str:
        """Write the log (atomically) and return the path written."""
        path = os.fspath(filename if filename is not None else self.filename)
        atomic_write_text(path, render_csv(LOG_COLUMNS, self.entries))
        return path


def read_csv_rows(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read any member of the family as a list of dicts (no validation: readers validate)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
