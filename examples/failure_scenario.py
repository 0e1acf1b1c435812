"""An acceptor and the proposer fail and recover; consensus is still reached, and it is safe.

Uses the seed API (send_prepare / send_promise / send_accept, fail / recover)
for one scripted story, then the core Cluster for many seeded random runs
with crashes. Prints what happens in plain words; writes no file.
"""

from __future__ import annotations

from paxos import Budgets, Cluster, ClusterConfig, PaxosLogger, PaxosNode, Proposal, ProtocolError


def main() -> None:
    logger = PaxosLogger(round=1)
    nodes = {i: PaxosNode(node_id=i, logger=logger, node_count=5) for i in range(1, 6)}

    first = Proposal(node_id=1, proposal_number=1, value="blue")
    nodes[1].send_prepare(nodes, first)
    for i in (1, 2, 3):
        nodes[i].send_promise(first)
    print("Node 1 proposes 'blue' (proposal 1); nodes 1, 2 and 3 promise.")

    nodes[3].fail()
    print("Acceptor 3 fails right after promising.")

    reached = nodes[1].send_accept({1: nodes[1], 2: nodes[2]}, first)
    print(f"Node 1 starts sending Accept('blue') but only {reached} nodes (1 and 2) get it before node 1 fails.")
    nodes[1].fail()

    second = Proposal(node_id=5, proposal_number=2, value="green")
    nodes[5].send_prepare(nodes, second)
    answers = {i: nodes[i].send_promise(second) for i in (3, 2, 4, 5)}
    refused = [i for i, a in answers.items() if a is None]
    print(f"Node 5 takes over with 'green' (proposal 2); node {refused[0]} is down and does not answer.")
    reported = answers[2]
    assert reported is not None
    print(f"Node 2's promise reports that it accepted {reported.max_val!r} at ballot {reported.max_vbal}.")

    nodes[3].recover()
    print(f"Acceptor 3 recovers and still remembers its promise: ballot {nodes[3].acceptor.promised}.")
    nodes[3].send_promise(second)

    accepted = nodes[5].send_accept(nodes, second)
    value = nodes[5].decided_value
    print(f"Node 5 must propose {value!r}, not 'green': {accepted} active nodes accept it and learn it.")

    nodes[1].recover()
    try:
        nodes[1].send_prepare(nodes, first)
    except ProtocolError as exc:
        print(f"Node 1 recovers; re-using its proposal number is refused: {exc}.")
    third = Proposal(node_id=1, proposal_number=3, value="red")
    nodes[1].send_prepare(nodes, third)
    for i in nodes:
        nodes[i].send_promise(third)
    nodes[1].send_accept(nodes, third)
    decided = {n.decided_value for n in nodes.values()}
    print(f"Node 1 tries 'red' with proposal 3 and ends up confirming {nodes[1].decided_value!r}.")
    print(f"Every node decided {decided.pop()!r}: consensus reached, and only one value was ever chosen."
          if len(decided) == 1 else f"UNSAFE: nodes decided {decided}")
    print(f"({len(logger.entries)} events were logged; {len(logger.events('fail'))} failures, "
          f"{len(logger.events('recover'))} recoveries.)")

    config = ClusterConfig.separate(acceptors=3, proposers=2, learners=1)
    runs, chose_one = 200, 0
    for seed in range(runs):
        cluster = Cluster(config, budgets=Budgets(crashes=2, ballots=3))
        cluster.run(["blue", "green"], seed=seed, crash_rate=0.3, timeout_rate=0.2)
        chosen = cluster.chosen()
        if len(chosen) > 1:
            print(f"UNSAFE: seed {seed} chose {chosen}")
            return
        chose_one += len(chosen)
    print(f"{runs} seeded random runs with up to 2 crashes each and proposer timeouts: "
          f"none chose two values; {chose_one} chose one.")


if __name__ == "__main__":
    main()
