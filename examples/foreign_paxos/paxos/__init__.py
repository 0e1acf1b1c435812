"""pypaxos-lite: a small single-decree Paxos library written in its own style (NOT ours).

Callbacks, a messenger object the application supplies, float ballots (`round + peer_id / 100`),
one handler per message kind, and separate handlers for a refused prepare and a refused accept.
It is a package named `paxos`, like ours: examples/foreign_paxos/adapter.py loads it under another
name with `paxos.import_package_as`.
"""

from paxos.messages import Accept, Accepted, AcceptNack, Prepare, PrepareNack, Promise
from paxos.peer import Peer

__all__ = ["Accept", "AcceptNack", "Accepted", "Peer", "Prepare", "PrepareNack", "Promise"]
