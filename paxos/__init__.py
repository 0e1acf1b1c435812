"""Single-decree Paxos, sans I/O: ballots, messages, quorum systems, nodes, an in-process cluster.

Public names are re-exported here once; the modules behind them are private.
"""

from paxos._atomic import atomic_write_bytes, atomic_write_text
from paxos._ballot import BOTTOM, Ballot
from paxos._cluster import (
    NETWORKS,
    Action,
    Budgets,
    Cluster,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    Envelope,
    Propose,
    Restart,
    Timeout,
    beyond_round,
    chosen_values,
    resolve,
)
from paxos._config import ClusterConfig, NodeRole, NodeState
from paxos._csvlog import (
    LOG_COLUMNS,
    LOG_FORMAT,
    TRACE_COLUMNS,
    TRACE_FORMAT,
    PaxosLogger,
    message_fields,
    read_csv_rows,
    render_csv,
)
from paxos._errors import ConfigurationError, PaxosError, ProtocolError
from paxos._guard import (
    NODE_ERROR,
    NODE_ERROR_DESCRIPTION,
    NodeFault,
    call_handler,
    call_node,
    check_outputs,
    checked_snapshot,
)
from paxos._messages import MESSAGE_TYPES, Accept, Accepted, Message, Nack, Prepare, Promise, Value
from paxos._msgtext import fields_text, message_text
from paxos._node import HANDLERS, PaxosNode, check_value, paxos_node_factory
from paxos._protocol import (
    OPTIONAL_METHODS,
    REQUIRED_METHODS,
    NodeFactory,
    NodeProtocol,
    RenamesSnapshots,
    missing_methods,
)
from paxos._quorum import (
    ExplicitQuorums,
    FlexibleQuorums,
    GridQuorums,
    MajorityQuorums,
    QuorumSystem,
    ThresholdQuorums,
)
from paxos._rename import CannotRename, rename_node_ids
from paxos._roles import Dest, Outputs
from paxos._seed import Proposal
from paxos._state import (
    INITIAL_SNAPSHOT,
    AcceptorDurable,
    LearnerVolatile,
    NodeSnapshot,
    ProposerDurable,
    ProposerVolatile,
)

__all__ = [
    "BOTTOM", "HANDLERS", "INITIAL_SNAPSHOT", "LOG_COLUMNS", "LOG_FORMAT", "MESSAGE_TYPES", "NETWORKS",
    "NODE_ERROR", "NODE_ERROR_DESCRIPTION", "OPTIONAL_METHODS", "REQUIRED_METHODS", "TRACE_COLUMNS",
    "TRACE_FORMAT", "Accept", "Accepted", "AcceptorDurable", "Action", "Ballot", "Budgets", "CannotRename",
    "Cluster", "ClusterConfig", "ConfigurationError", "Crash", "Deliver", "Dest", "Drop", "Duplicate", "Envelope",
    "ExplicitQuorums", "FlexibleQuorums", "GridQuorums", "LearnerVolatile", "MajorityQuorums", "Message", "Nack",
    "NodeFactory", "NodeFault", "NodeProtocol", "NodeRole", "NodeSnapshot", "NodeState", "Outputs", "PaxosError",
    "PaxosLogger", "PaxosNode", "Prepare", "Promise", "Proposal", "Propose", "ProposerDurable",
    "ProposerVolatile", "ProtocolError", "QuorumSystem", "RenamesSnapshots", "Restart", "ThresholdQuorums",
    "Timeout", "Value", "atomic_write_bytes", "atomic_write_text", "beyond_round", "call_handler", "call_node",
    "check_outputs", "check_value", "checked_snapshot", "chosen_values", "fields_text", "message_fields",
    "message_text", "missing_methods", "paxos_node_factory", "read_csv_rows", "rename_node_ids", "render_csv",
    "resolve",
]
