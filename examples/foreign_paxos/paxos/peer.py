"""One Paxos peer: proposer, acceptor and learner at once. Sends through `messenger.send(to, msg)`,
tells the application through the `on_decide(value)` callback. Keeps everything in memory."""

from paxos.messages import Accept, Accepted, AcceptNack, Prepare, PrepareNack, Promise


class Peer:
    def __init__(self, peer_id, acceptors, learners, quorum, messenger, on_decide=None):
        self.peer_id, self.acceptors, self.learners, self.quorum = peer_id, acceptors, learners, quorum
        self.messenger, self.on_decide = messenger, on_decide
        # acceptor
        self.promised = None
        self.accepted = None  # (ballot, value)
        # proposer
        self.round = 0
        self.ballot = None
        self.value = None
        self.promises = {}  # acceptor -> Promise
        # learner
        self.votes = {}  # (ballot, value) -> set of acceptors
        self.decided = None

    # -- proposer -----------------------------------------------------------------------------------
    def propose(self, value):
        self.value = value
        self.start_round()

    def start_round(self):
        self.round += 1
        self.ballot = self.round + self.peer_id / 100
        self.promises = {}
        for a in self.acceptors:
            self.messenger.send(a, Prepare(self.ballot))

    def receive_promise(self, sender, msg):
        if msg.ballot != self.ballot or self.value is None:
            return
        self.promises[sender] = msg
        if len(self.promises) == self.quorum:
            voted = [p for p in self.promises.values() if p.accepted_ballot is not None]
            if voted:
                self.value = max(voted, key=lambda p: p.accepted_ballot).accepted_value
            for a in self.acceptors:
                self.messenger.send(a, Accept(self.ballot, self.value))

    def receive_prepare_nack(self, sender, msg):
        if msg.ballot == self.ballot:
            self.round = max(self.round, int(msg.promised))
            self.ballot = None  # wait for the application to retry

    def receive_accept_nack(self, sender, msg):
        # "Fast retry": the acceptors already promised us once, so skip phase 1 this time.
        if msg.ballot == self.ballot:
            self.round = int(msg.promised) + 1
            self.ballot = self.round + self.peer_id / 100
            for a in self.acceptors:
                self.messenger.send(a, Accept(self.ballot, self.value))

    # -- acceptor -----------------------------------------------------------------------------------
    def receive_prepare(self, sender, msg):
        if self.promised is not None and msg.ballot <= self.promised:
            if msg.ballot < self.promised:
                self.messenger.send(sender, PrepareNack(msg.ballot, self.promised))
            return
        self.promised = msg.ballot
        ab, av = self.accepted if self.accepted else (None, None)
        self.messenger.send(sender, Promise(msg.ballot, ab, av))

    def receive_accept(self, sender, msg):
        if self.promised is not None and msg.ballot < self.promised:
            self.messenger.send(sender, AcceptNack(msg.ballot, self.promised))
            return
        self.promised = msg.ballot
        self.accepted = (msg.ballot, msg.value)
        for learner in self.learners:
            self.messenger.send(learner, Accepted(msg.ballot, msg.value))

    # -- learner ------------------------------------------------------------------------------------
    def receive_accepted(self, sender, msg):
        voters = self.votes.setdefault((msg.ballot, msg.value), set())
        voters.add(sender)
        if self.decided is None and len(voters) >= self.quorum:
            self.decided = msg.value
            if self.on_decide:
                self.on_decide(msg.value)
