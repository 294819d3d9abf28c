"""The handout's LSTM as a forward graph: one node per elementary equation, the links between them
(read off the equations themselves), the routes from each graded bar to the next graded ones, and the
edit a known mistake makes to one link. lstm_model.py computes with it; mistakes.py names its links."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autograder.judge.lstm_problem import GRADED
from autograder.record import Record, field


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS: Mapping[str, Callable[[Any], Any]] = {"sigmoid": _sigmoid, "tanh": np.tanh}

Read = Callable[[str, int], Any]  # read(name, lag): the value of a node or input at step t + lag


class Node(Record):
    """One forward equation, evaluated at step t: `equation(read, weights, activations)`."""

    name: str
    equation: Callable[[Read, Mapping[str, Any], Mapping[str, Callable[[Any], Any]]], Any]


# The handout's forward pass, one elementary equation per node, in the order they are computed.
# z_* are the pre-activations and tanh_c is tanh(c); they are not graded, only passed through.
GRAPH: tuple[Node, ...] = (
    Node("z_i", lambda read, w, act: w["w_ix"] * read("x", 0) + w["w_ih"] * read("h", -1)),
    Node("i", lambda read, w, act: act["sigmoid"](read("z_i", 0))),
    Node("z_f", lambda read, w, act: w["w_fx"] * read("x", 0) + w["w_fh"] * read("h", -1)),
    Node("f", lambda read, w, act: act["sigmoid"](read("z_f", 0))),
    Node("z_o", lambda read, w, act: w["w_ox"] * read("x", 0) + w["w_oh"] * read("h", -1)),
    Node("o", lambda read, w, act: act["sigmoid"](read("z_o", 0))),
    Node("z_g", lambda read, w, act: w["w_gx"] * read("x", 0) + w["w_gh"] * read("h", -1)),
    Node("g", lambda read, w, act: act["tanh"](read("z_g", 0))),
    Node("c", lambda read, w, act: read("f", 0) * read("c", -1) + read("i", 0) * read("g", 0)),
    Node("tanh_c", lambda read, w, act: act["tanh"](read("c", 0))),
    Node("h", lambda read, w, act: read("o", 0) * read("tanh_c", 0)),
)
NODES: Mapping[str, Node] = {node.name: node for node in GRAPH}


class Link(Record):
    """An edge of the graph: `child` at step s reads `parent` at step s - offset (a weight at every step)."""

    parent: str
    child: str
    offset: int

    @property
    def key(self) -> str:
        return f"{self.parent}->{self.child}"


def _trace_links() -> tuple[Link, ...]:
    """Read the graph's edges off the equations themselves, so they are written down once."""
    links = []
    for node in GRAPH:
        reads: list[tuple[str, int]] = []

        def read(name: str, lag: int, reads: list[tuple[str, int]] = reads) -> float:
            reads.append((name, lag))
            return 0.5

        class Weights(dict):
            def __missing__(self, name: str, reads: list[tuple[str, int]] = reads) -> float:
                reads.append((name, 0))
                return 0.5

        node.equation(read, Weights(), ACTIVATIONS)
        links += [Link(name, node.name, -lag) for name, lag in reads if name != "x"]
    return tuple(links)


LINKS: tuple[Link, ...] = _trace_links()
LINK_KEYS = frozenset(link.key for link in LINKS)


def _trace_paths(start: str) -> tuple[tuple[Link, ...], ...]:
    """Every route from `start` to a graded node that passes only through ungraded nodes."""
    paths: list[tuple[Link, ...]] = []
    for link in LINKS:
        if link.parent != start:
            continue
        if link.child in GRADED:
            paths.append((link,))
        else:
            paths += [(link,) + rest for rest in _trace_paths(link.child)]
    return tuple(paths)


PATHS: Mapping[str, tuple[tuple[Link, ...], ...]] = {name: _trace_paths(name) for name in GRADED + ("w_ix",)}


class LinkEdit(Record):
    """A change to one link of the graph, as a known mistake makes it (see mistakes.yaml).

    `drop` removes the link; `power` raises its local partial to a power (0: the factor is
    missing, 2: it appears twice); `shift_inputs` moves the steps the child's equation reads
    (`{"f": -1}`: f^(s-1) in place of f^(s), clipped to steps 0..T); `functions` swaps an
    activation for another function while the partial is taken.
    """

    link: str
    drop: bool = False
    power: float = 1.0
    shift_inputs: Mapping[str, int] = field(default_factory=dict)
    functions: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)


NO_EDIT = LinkEdit("")
