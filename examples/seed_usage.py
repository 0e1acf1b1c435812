"""The seed README's usage example, unchanged except its imports (now all from the package `paxos`).

Five nodes; node 1 proposes "my_value"; the other four promise; with a
majority of promises node 1 sends Accept and every node learns the value.
Writes the event log paxosresult.csv into the current directory.
"""

from paxos import NodeRole, NodeState, PaxosLogger, PaxosNode, Proposal

# Create logger
logger = PaxosLogger(round=1, filename="paxosresult.csv")

# Create nodes
node_count = 5
nodes = {}
for i in range(1, node_count + 1):
    nodes[i] = PaxosNode(
        node_id=i,
        role=NodeRole.ACCEPTOR,
        logger=logger,
        node_count=node_count
    )

# Node 1 proposes
proposer = nodes[1]
proposal = Proposal(node_id=1, proposal_number=1, value="my_value")

# Phase 1: Prepare
proposer.send_prepare(nodes, proposal)

# Collect promises
promises = []
for node_id, node in nodes.items():
    if node_id != proposer.node_id:
        promise = node.send_promise(proposal)
        if promise:
            promises.append(promise)

# Phase 2: Accept (if majority)
if len(promises) >= (node_count // 2 + 1):
    proposer.send_accept(nodes, proposal)

# Save logs
logger.save_to_csv()

# What happened (added to the seed's example).
decided = {node_id: node.decided_value for node_id, node in nodes.items()}
active = sum(node.state is NodeState.ACTIVE for node in nodes.values())
print(f"Node 1 proposed {proposal.value!r} with proposal number {proposal.proposal_number}.")
print(f"{len(promises)} of the other {node_count - 1} nodes promised; a majority is {node_count // 2 + 1}.")
if len(set(decided.values())) == 1 and None not in decided.values():
    print(f"Consensus: all {active} active nodes decided {decided[1]!r}.")
else:
    print(f"No consensus: decisions are {decided}.")
print(f"{len(logger.entries)} events logged to {logger.filename}.")
