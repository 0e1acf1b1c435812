"""`paxos-check export TRACE.csv --format itf|pytest`: a trace in a form other tools read.

Flags and file handling only: the ITF encoding is checker/traces/itf.py, the generated test
checker/traces/pytest_export.py. Exit 0 written, 2 bad input (one line), a pytest export that
would pass on the node it was made from included.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from checker.cli.flags import named_inputs
from checker.config import IMPL_HELP, add_trust_argument, check_named_files, load_factory
from checker.exit_codes import EXIT_OK
from checker.inputs import check_output_paths
from checker.traces.itf import spec_run, to_itf, write_itf
from checker.traces.pytest_export import ENV_IMPL, pytest_source
from checker.traces.trace_csv import read_trace
from paxos import atomic_write_text

FORMATS = ("itf", "pytest")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "itf: the Informal Trace Format JSON that Apalache and Quint read (ADR-015), one state per step with "
        "Paxos.tla's variables maxBal, maxVBal, maxVal, msgs (an implementation trace through the refinement "
        "mapping); #meta of each state names the step and the Spec action explaining it. pytest: a "
        "self-contained test that replays the counterexample against the implementation and fails until the "
        f"bug is fixed ({ENV_IMPL}=MODULE:FACTORY points it at another implementation). Exit codes: 0 written, "
        "2 bad usage or bad input (one line)."
    )
    parser.add_argument("trace", help="a trace CSV written by explore, simulate, fuzz or minimize")
    parser.add_argument("--format", required=True, choices=FORMATS, help="itf (JSON) or pytest (a test file)")
    parser.add_argument("-o", "--output", default=None, metavar="PATH",
                        help="where to write (default: next to the trace, TRACE.itf.json or test_TRACE.py)")
    parser.add_argument("--impl", default=None, metavar="MODULE:FACTORY",
                        help="the implementation to re-execute (itf) or to test (pytest); default: the recorded one; "
                             + IMPL_HELP)
    add_trust_argument(parser)


def run(args: argparse.Namespace) -> int:
    source = Path(args.trace)
    default = (source.with_name(source.stem + ".itf.json") if args.format == "itf"
               else source.with_name("test_" + source.stem.replace("-", "_") + ".py"))
    output = Path(os.path.abspath(args.output or default))  # resolved once: the node may change directory
    check_output_paths(files=[("-o", output)], inputs=[source, *named_inputs(args)])
    if args.impl is not None:
        load_factory(args.impl)  # a name that does not load is refused here, whatever the format
    trace = read_trace(source)
    check_named_files(args.trace, None if args.impl else trace.impl, trace.config.get("properties") or ())
    if args.format == "itf":
        spec = spec_run(trace, args.impl)
        write_itf(output, to_itf(trace, spec, str(source)))
        wrong = [n for n, how in enumerate(spec.explained, start=1) if how is None]
        note = f"; no Spec step explains step {wrong[0]}" if wrong else ""
        print(f"wrote {output}: {len(spec.states)} states (the initial one and {len(spec.states) - 1} steps) of "
              f"Paxos.tla's maxBal, maxVBal, maxVal, msgs{note}")
        return EXIT_OK
    atomic_write_text(output, pytest_source(trace, str(source), args.impl))
    print(f"wrote {output}: a pytest test replaying {len(trace.steps)} steps against {args.impl or trace.impl}; "
          f"it fails until {trace.property or 'every property'} holds on this schedule. Run: pytest {output}")
    return EXIT_OK
