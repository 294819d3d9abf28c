"""Pairs of submissions that agree where chance would not, found through inverted indexes (never all pairs).

Every signal is a pattern (a wrong quantity's numbers, a question 1 design, a fingerprint of code or
LaTeX) mapped to the submissions that show it. A pattern more than 5 % of the class shares is what
chance looks like here (a common design, a common mistake, the kit's or the reference's shape) and
never counts; nor does the kit's own text, or the reference's design in any scaling or order. Pairs
come only from the rare patterns' lists, so the work grows with what students share, not with the
square of the class.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

from autograder.record import Record, field
from autograder.similarity.evidence import Evidence
from autograder.similarity.fingerprints import CODE, LATEX, lines_of

COMMON_SHARE = 0.05  # a pattern more of the class shares than this is common
MIN_SHARED = {CODE: 10, LATEX: 6}  # rare fingerprints two submissions must share to be listed
MIN_SHARE = 0.3  # of the smaller submission's rare fingerprints
DIGITS = 9  # numbers are indexed by this many significant digits; the pair's report says how many agree
FULL_DIGITS = 16.0  # equal floats agree to every digit a float64 holds


class Numbers(Record):
    """Wrong numbers two submissions share: per test (its quantity), how many values agree, to how many
    digits at worst, and how many submissions of the class show that pattern."""

    test: str
    quantity: str
    values: int
    digits: float
    shared_by: int
    first: tuple[tuple[float, float], ...]  # a few agreeing values, side by side


class Text(Record):
    """Fingerprints two submissions share in one channel (code or LaTeX): how many, their share of the smaller
    submission's rare ones, and which (the report finds their lines for the pairs it shows)."""

    channel: str
    shared: int
    share: float
    prints: frozenset[int]


class Pair(Record, frozen=False):
    """Two parties (a submission, a group's one submission, or an earlier term's), with every signal found."""

    a: str
    b: str
    numbers: list[Numbers] = field(default_factory=list)
    design: tuple[bool, int] | None = None  # (identical as written, submissions sharing the design)
    text: dict[str, Text] = field(default_factory=dict)
    dismissed: bool = False

    def strengths(self, class_size: int) -> dict[str, float]:
        """Each signal's strength, 0 to 1: what the report and the CSV rank by."""
        limit = common_limit(class_size)
        found: dict[str, float] = {}
        if self.numbers:
            values = sum(n.values for n in self.numbers)
            digits = min(n.digits for n in self.numbers)
            rarity = 1 - (max(n.shared_by for n in self.numbers) - 2) / (limit + 1)
            found["numbers"] = min(1.0, values / 20) * min(1.0, digits / 12) * rarity
        if self.design is not None:
            found["design"] = (0.6 if self.design[0] else 0.4) * (1 - (self.design[1] - 2) / (limit + 1))
        for channel, text in self.text.items():
            found[channel] = text.share
        return found

    def strength(self, class_size: int) -> float:
        return 1 - math.prod(1 - s for s in self.strengths(class_size).values())


def common_limit(class_size: int) -> int:
    """A pattern shared by more submissions than this is common (5 % of the class, and never fewer than 2)."""
    return max(2, int(COMMON_SHARE * class_size))


def find_pairs(
    parties: Sequence[Evidence],
    *,
    boilerplate: Iterable[int] = (),
    common_designs: Iterable[str] = (),
    earlier: frozenset[str] = frozenset(),
    dismissed: frozenset[frozenset[str]] = frozenset(),
) -> list[Pair]:
    """Every pair with a signal, strongest first. `boilerplate`: the kit's fingerprints; `common_designs`: the
    reference's; `earlier`: ids of an earlier term's submissions (paired only with this term's)."""
    limit = common_limit(sum(1 for party in parties if party.id not in earlier))
    by_id = {party.id: party for party in parties}
    pairs: dict[tuple[str, str], Pair] = {}

    def pair(a: str, b: str) -> Pair | None:
        if a in earlier and b in earlier:
            return None
        key = (a, b) if a < b else (b, a)
        if key not in pairs:
            pairs[key] = Pair(*key, dismissed=frozenset(key) in dismissed)
        return pairs[key]

    _numbers(parties, limit, pair, by_id)
    _designs(parties, limit, set(common_designs), pair)
    for channel in (CODE, LATEX):
        _text(parties, channel, limit, set(boilerplate), pair)
    found = [p for p in pairs.values() if p.numbers or p.design or p.text]
    size = len(parties)
    return sorted(found, key=lambda p: (-p.strength(size), p.a, p.b))


def _rare_groups(index: Mapping[Any, list[str]], limit: int) -> Iterable[tuple[Any, list[str]]]:
    return ((key, sorted(ids)) for key, ids in index.items() if 2 <= len(ids) <= limit)


def _numbers(
    parties: Sequence[Evidence], limit: int, pair: Callable[[str, str], Pair | None], by_id: Mapping[str, Evidence]
) -> None:
    index: dict[tuple, list[str]] = defaultdict(list)
    for party in parties:
        for test, wrong in party.numbers.items():
            key = (test, tuple(wrong["problems"]), tuple(_rounded(v) for value in wrong["values"] for v in value))
            index[key].append(party.id)
    for (test, _, _), ids in _rare_groups(index, limit):
        for a, b in combinations(ids, 2):
            found = pair(a, b)
            if found is None:
                continue
            mine = [v for value in by_id[a].numbers[test]["values"] for v in value]
            theirs = [v for value in by_id[b].numbers[test]["values"] for v in value]
            found.numbers.append(
                Numbers(
                    test,
                    str(by_id[a].numbers[test]["quantity"]),
                    len(mine),
                    min(agreeing_digits(x, y) for x, y in zip(mine, theirs, strict=True)),
                    len(ids),
                    tuple(zip(mine[:6], theirs[:6], strict=True)),
                )
            )


def _rounded(value: float) -> str:
    return f"{value:.{DIGITS - 1}e}"


def agreeing_digits(x: float, y: float) -> float:
    """How many significant digits two numbers share: 16 when equal, else -log10 of their relative difference."""
    if x == y:
        return FULL_DIGITS
    scale = max(abs(x), abs(y))
    return max(0.0, min(FULL_DIGITS, -math.log10(abs(x - y) / scale)))


def _designs(
    parties: Sequence[Evidence], limit: int, common: set[str], pair: Callable[[str, str], Pair | None]
) -> None:
    index: dict[str, list[str]] = defaultdict(list)
    written: dict[str, str] = {}
    for party in parties:
        if party.adder and party.adder.get("design") not in common:
            index[party.adder["design"]].append(party.id)
            written[party.id] = party.adder.get("written", "")
    for _, ids in _rare_groups(index, limit):
        for a, b in combinations(ids, 2):
            found = pair(a, b)
            if found is not None:
                found.design = (written[a] == written[b], len(ids))


def _text(
    parties: Sequence[Evidence],
    channel: str,
    limit: int,
    boilerplate: set[int],
    pair: Callable[[str, str], Pair | None],
) -> None:
    index: dict[int, list[str]] = defaultdict(list)
    prints: dict[str, set[int]] = {}
    for party in parties:
        mine = {p[0] for f in party.files if f.get("channel") == channel for p in f.get("prints", ())} - boilerplate
        prints[party.id] = mine
        for value in mine:
            index[value].append(party.id)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    rare: set[int] = set()
    for value, ids in _rare_groups(index, limit):
        rare.add(value)
        for a, b in combinations(ids, 2):
            counts[(a, b)] += 1
    sizes = {party: len(mine & rare) for party, mine in prints.items()}
    for (a, b), shared in counts.items():
        share = shared / max(1, min(sizes[a], sizes[b]))
        if shared < MIN_SHARED[channel] or share < MIN_SHARE:
            continue
        found = pair(a, b)
        if found is None:
            continue
        common = prints[a] & prints[b] & rare
        found.text[channel] = Text(channel, shared, min(1.0, share), frozenset(common))


def text_lines(party: Evidence, text: Text) -> dict[str, set[int]]:
    """The lines of each of a party's files that a pair's shared fingerprints cover."""
    return {
        str(f["name"]): lines_of(f.get("prints", ()), set(text.prints))
        for f in party.files
        if f.get("channel") == text.channel
    }
