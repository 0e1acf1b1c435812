"""`paxos-check minimize TRACE.csv -o OUT.csv`: shorten a counterexample while the same property still fails.

Flags and file handling only; the algorithm is checker/traces/minimize.py.
"""

from __future__ import annotations

import argparse

from checker.cli.flags import named_inputs
from checker.config import IMPL_HELP, add_trust_argument, check_named_files
from checker.exit_codes import EXIT_OK
from checker.inputs import absolute, check_output_paths
from checker.traces.minimize import minimize_trace
from checker.traces.text import format_steps
from checker.traces.trace_csv import read_trace, write_trace


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("trace", help="the trace CSV to shorten")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.csv", help="where to write the shorter trace")
    parser.add_argument("--property", default=None,
                        help="the property that must still fail (default: the recorded one)")
    parser.add_argument("--impl", default=None, metavar="MODULE:FACTORY",
                        help="minimize against another implementation (default: the one recorded; " + IMPL_HELP + ")")
    add_trust_argument(parser)


def run(args: argparse.Namespace) -> int:
    args.output = absolute(args.output)  # resolved once: the node or a --property may change directory
    check_output_paths(files=[("-o", args.output)], inputs=[args.trace, *named_inputs(args)])
    trace = read_trace(args.trace)
    check_named_files(args.trace, None if args.impl else trace.impl, trace.config.get("properties") or ())
    short = minimize_trace(trace, args.property, args.impl)
    write_trace(args.output, short)
    print(f"minimized {args.trace}: {len(trace.steps)} -> {len(short.steps)} steps, "
          f"{short.property} still fails; wrote {args.output}")
    print(format_steps(short))
    print(f"replay with: paxos-check replay {args.output}")
    return EXIT_OK
