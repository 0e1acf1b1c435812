"""Two proposers preempt each other with higher ballots (Nacks, timeouts), then one wins.

Uses the core `Cluster`: the duel is scripted step by step, then the network
delivers what is left in an order drawn from a seed, so the run is the same
every time. Prints what happens in plain words; writes no file.
"""

from __future__ import annotations

from paxos import (
    Accept,
    Ballot,
    Budgets,
    Cluster,
    ClusterConfig,
    Deliver,
    Envelope,
    Nack,
    PaxosLogger,
    Prepare,
    Promise,
    Propose,
    Timeout,
)

SEED = 7


def main() -> None:
    config = ClusterConfig.separate(acceptors=3, proposers=2, learners=1)
    p1, p2 = config.proposers
    logger = PaxosLogger(round=1)
    cluster = Cluster(config, budgets=Budgets(ballots=4), logger=logger)

    def deliver(kind: type, bal: Ballot) -> list[Envelope]:
        """Deliver every in-flight message of `kind` at `bal`; return what the receivers sent."""
        todo = sorted((e for e in cluster.in_flight if isinstance(e.msg, kind) and e.msg.bal == bal),
                      key=Envelope.sort_key)
        return [out for env in todo for out in cluster.step(Deliver(env))]

    print(f"Proposers {p1} and {p2}, acceptors {list(config.acceptors)}, learner {config.learners[0]}.")
    cluster.step(Propose(p1, "apple"))
    deliver(Prepare, Ballot(0, p1))
    deliver(Promise, Ballot(0, p1))
    print(f"Proposer {p1} proposes 'apple' at ballot 0@{p1}; the acceptors promise; it sends Accept.")

    cluster.step(Propose(p2, "banana"))
    deliver(Prepare, Ballot(0, p2))
    print(f"Before that Accept arrives, proposer {p2} proposes 'banana' at the higher ballot 0@{p2}; "
          "the acceptors promise it.")
    nacks = deliver(Accept, Ballot(0, p1))
    assert all(isinstance(e.msg, Nack) for e in nacks)
    deliver(Nack, Ballot(0, p1))
    print(f"Proposer {p1}'s Accept arrives late: {len(nacks)} acceptors refuse it (Nack), and it gives up 0@{p1}.")

    deliver(Promise, Ballot(0, p2))
    print(f"Proposer {p2} has its promises and sends Accept('banana') at 0@{p2}.")
    cluster.step(Timeout(p1))
    deliver(Prepare, Ballot(1, p1))
    print(f"But proposer {p1} times out first and starts ballot 1@{p1}; the acceptors promise it.")
    nacks = deliver(Accept, Ballot(0, p2))
    deliver(Nack, Ballot(0, p2))
    print(f"Proposer {p2}'s Accept arrives late in turn: {len(nacks)} Nacks, and it gives up 0@{p2}.")
    assert not cluster.chosen()

    print(f"Now the network delivers the rest in an order drawn from seed {SEED}, and proposers may time out.")
    cluster.run([], seed=SEED, timeout_rate=0.05)
    chosen = cluster.chosen()
    winners = {m.bal for m in cluster.history if m.val in chosen}
    nack_count = len([e for e in logger.events("send") if e["msg_type"] == "Nack"])
    print(f"{len(logger.events('timeout'))} timeouts and {nack_count} Nacks in all.")
    if len(chosen) == 1:
        [value] = chosen
        ballot = max(winners)
        print(f"Proposer {ballot.node_id} wins: {value!r} is chosen at ballot {ballot}, "
              f"and the learner learned {cluster.learned()[config.learners[0]]!r}.")
        own = {p1: "apple", p2: "banana"}[ballot.node_id]
        if value != own:
            print(f"(Proposer {ballot.node_id} wanted {own!r}, but a promise reported {value!r} already accepted "
                  "at a lower ballot, so Paxos made it propose that value instead: no two values can be chosen.)")
    else:
        print(f"After this run the chosen values are {chosen} (no winner yet).")


if __name__ == "__main__":
    main()
