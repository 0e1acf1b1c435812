"""Regression test written by `paxos-check export run/traces/agreement.csv --format pytest`.

The counterexample of agreement found in examples/foreign_paxos/adapter.py:make_node: 16 steps replayed on paxos.Cluster, every property of the run checked after each
step (paxos-check's replay, as `paxos-check replay` does). The test fails while the bug is
there and passes once no property fails on this schedule; a fixed node may also stop
following the schedule at some step, and then the steps it does take must break nothing.

Run it with pytest; against another implementation: PAXOS_CHECK_IMPL=MODULE:FACTORY pytest THIS_FILE.
Needs paxos-check installed (pip install -e .) and the implementation (and any --property module) importable.
"""

from __future__ import annotations

import os

from checker.config import CheckConfig
from checker.model import StepRow
from checker.traces.replay import ImplReplayer, ImpossibleStep

IMPL = os.environ.get("PAXOS_CHECK_IMPL", 'examples/foreign_paxos/adapter.py:make_node')
PROPERTY = 'agreement'
CONFIG = {'acceptors': 3,
 'ballots': 1,
 'colocated': False,
 'crashes': 0,
 'drops': 0,
 'duplicates': 0,
 'learners': 1,
 'max_round': 1,
 'network': 'set',
 'proposers': 2,
 'q1': None,
 'q2': None,
 'unsafe_quorums': False,
 'values': 2}
FIELDS = ('event', 'node', 'peer', 'msg_type', 'bal', 'value', 'max_vbal', 'max_val')
STEPS = [
    ('propose', '1', '', '', '', 'v1', '', ''),  # 1. propose v1 1: round: 0 -> 1; ballot: None -> 1.01; value: None -> 'v1'; sent Prepare 0@1 to 3,4,5
    ('deliver', '4', '1', 'Prepare', '0@1', '', '', ''),  # 2. deliver Prepare 0@1 1->4: promised - -> 0@1; sent Promise 0@1 (accepted nothing) to 1
    ('propose', '2', '', '', '', 'v2', '', ''),  # 3. propose v2 2: round: 0 -> 1; ballot: None -> 1.02; value: None -> 'v2'; sent Prepare 0@2 to 3,4,5
    ('deliver', '5', '2', 'Prepare', '0@2', '', '', ''),  # 4. deliver Prepare 0@2 2->5: promised - -> 0@2; sent Promise 0@2 (accepted nothing) to 2
    ('deliver', '4', '2', 'Prepare', '0@2', '', '', ''),  # 5. deliver Prepare 0@2 2->4: promised 0@1 -> 0@2; sent Promise 0@2 (accepted nothing) to 2
    ('deliver', '2', '5', 'Promise', '0@2', '', '-', ''),  # 6. deliver Promise 0@2 (max_vbal -) 5->2: promises: {} -> {5: Promise(ballot=1.02, accepted_bal...
    ('deliver', '1', '4', 'Promise', '0@1', '', '-', ''),  # 7. deliver Promise 0@1 (max_vbal -) 4->1: promises: {} -> {4: Promise(ballot=1.01, accepted_bal...
    ('deliver', '2', '4', 'Promise', '0@2', '', '-', ''),  # 8. deliver Promise 0@2 (max_vbal -) 4->2: promises: {5: Promise(ballot=1.02, accepted_bal... -> {4: Promise(ballot=1.02, accepted_bal...; sent Accept 0@2:v2 to 3,4,5
    ('deliver', '3', '1', 'Prepare', '0@1', '', '', ''),  # 9. deliver Prepare 0@1 1->3: promised - -> 0@1; sent Promise 0@1 (accepted nothing) to 1
    ('deliver', '1', '3', 'Promise', '0@1', '', '-', ''),  # 10. deliver Promise 0@1 (max_vbal -) 3->1: promises: {4: Promise(ballot=1.01, accepted_bal... -> {4: Promise(ballot=1.01, accepted_bal...; sent Accept 0@1:v1 to 3,4,5
    ('deliver', '5', '1', 'Accept', '0@1', 'v1', '', ''),  # 11. deliver Accept 0@1 v1 1->5: sent Nack 0@1 (phase 2, promised 0@2) to 1
    ('deliver', '1', '5', 'Nack', '0@1', '2', '0@2', ''),  # 12. deliver Nack 0@1 2 (max_vbal 0@2) 5->1: round: 1 -> 2; ballot: 1.01 -> 2.01; sent Accept 1@1:v1 to 3,4,5
    ('deliver', '5', '1', 'Accept', '1@1', 'v1', '', ''),  # 13. deliver Accept 1@1 v1 1->5: promised 0@2 -> 1@1; accepted - -> 1@1:v1; sent Accepted 1@1:v1 to 6
    ('deliver', '4', '2', 'Accept', '0@2', 'v2', '', ''),  # 14. deliver Accept 0@2 v2 2->4: accepted - -> 0@2:v2; sent Accepted 0@2:v2 to 6
    ('deliver', '4', '1', 'Accept', '1@1', 'v1', '', ''),  # 15. deliver Accept 1@1 v1 1->4: promised 0@2 -> 1@1; accepted 0@2:v2 -> 1@1:v1; sent Accepted 1@1:v1 to 6
    ('deliver', '3', '2', 'Accept', '0@2', 'v2', '', ''),  # 16. deliver Accept 0@2 v2 2->3: promised 0@1 -> 0@2; accepted - -> 0@2:v2; sent Accepted 0@2:v2 to 6
]


def test_agreement_holds_on_this_schedule() -> None:
    config = CheckConfig.from_json({**CONFIG, "impl": IMPL})
    rows = [StepRow(**dict(zip(FIELDS, step, strict=True))) for step in STEPS]
    replayer = ImplReplayer(config, legacy=False)
    try:
        outcome = replayer.run(rows, stop_at_violation=False)
    except ImpossibleStep as left:  # the node no longer takes this schedule: check the part it takes
        outcome = replayer.run(rows[:left.index], stop_at_violation=False)
    broken = [f"{prop} fails at step {step} of {len(rows)} with {IMPL}" + (f": {reason}" if reason else "")
              for step, prop, reason in outcome.violations]
    assert not broken, "\n".join(broken)
