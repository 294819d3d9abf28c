"""The class report's similarity section: the strongest pairs side by side, with their evidence highlighted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from autograder.similarity.fingerprints import CODE, LATEX
from autograder.similarity.pairs import Pair, Text, text_lines
from autograder.similarity.screening import DISMISSED, Screening, dismiss_line
from autograder.text import printable

SHOWN = 20  # pairs shown in the report (similarity.csv lists them all)
CONTEXT = 2  # lines shown around a matching region
MAX_LINES = 80  # of one file's excerpt
CHANNELS = {CODE: "code", LATEX: "LaTeX"}

STYLE = """
.pair { border: 1px solid #d0d7de; border-radius: 6px; margin: 0.8em 0; padding: 0.4em 0.8em; }
.pair summary { cursor: pointer; font-weight: 600; } .pair .why { margin: 0.3em 0; }
.sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0.6em; }
.sides pre { background: #f6f8fa; padding: 0.4em; overflow-x: auto; font-size: 0.8em; margin: 0.2em 0; }
.sides mark { background: #ffd8b5; display: block; } .sides .gap { color: #8c959f; }
.caution { background: #ddf4ff; border: 1px solid #54aeff; padding: 0.5em 1em; border-radius: 6px; }
"""


def similarity_section(screening: Screening) -> str:
    """The section's body: each pair linked to both students' feedback (`#open=N`), its evidence beside."""
    rows, names = screening.rows, screening.names
    shown = [pair for pair in screening.pairs if not pair.dismissed]
    dismissed = len(screening.pairs) - len(shown)
    parts = [
        f"<style>{STYLE}</style>",
        '<p class="caution"><b>Similarity is a reason to look, not proof.</b> Each pair below agrees more than '
        "the rest of the class makes likely: read both submissions before drawing any conclusion. Agreement that "
        "many students share (more than 5 % of the class: the kit's starter files, the reference's question 1 "
        "design in any scaling or order, a catalogued mistake, a common wrong equation) is never counted; nor are "
        "right answers.</p>",
        f'<p class="note">{len(screening.pairs)} pairs among {screening.class_size} submissions (all in '
        f"<code>similarity.csv</code>); {dismissed} dismissed in <code>{DISMISSED}</code>. "
        + " ".join(escape(printable(note)) for note in screening.notes)
        + "</p>",
    ]
    if not shown:
        parts.append('<p class="note">No pair agrees beyond what the class shares.</p>')
    for rank, pair in enumerate(shown[:SHOWN], start=1):
        parts.append(_pair(rank, pair, screening, rows, names))
    if len(shown) > SHOWN:
        parts.append(f'<p class="note">… and {len(shown) - SHOWN} more in <code>similarity.csv</code>.</p>')
    return "\n".join(parts)


def _who(party: str, screening: Screening, rows: Mapping[str, int], names: Mapping[str, str]) -> str:
    label = escape(printable(names.get(party) or party))
    if party in screening.earlier:
        return f'{label} <span class="note">(earlier run)</span>'
    row = rows.get(party)
    link = f'<a href="#open={row}" data-student="{row}">{label}</a>' if row is not None else label
    return f'{link} <span class="note">{escape(printable(party))}</span>' if names.get(party) else link


def _pair(rank: int, pair: Pair, screening: Screening, rows: Mapping[str, int], names: Mapping[str, str]) -> str:
    strength = pair.strength(screening.class_size)
    head = (
        f"{rank}. {_who(pair.a, screening, rows, names)} and {_who(pair.b, screening, rows, names)} "
        f'<span class="note">strength {strength:.2f}</span>'
    )
    why = [_numbers_text(pair, screening.class_size)] if pair.numbers else []
    if pair.design is not None:
        identical, shared = pair.design
        what = "identical question 1 weights" if identical else "the same question 1 design (scaled or reordered)"
        why.append(f"{what}, a design {shared} of {screening.class_size} submissions have")
    for channel, text in pair.text.items():
        why.append(
            f"{CHANNELS[channel]}: {text.shared} rare fingerprints shared ({text.share:.0%} of the smaller one's)"
        )
    body = [f'<ul class="why">{"".join(f"<li>{escape(line)}</li>" for line in why)}</ul>']
    if pair.numbers:
        body.append(_numbers_table(pair))
    for text in pair.text.values():
        body.append(
            '<div class="sides">' + "".join(_excerpt(screening, party, text) for party in (pair.a, pair.b)) + "</div>"
        )
    body.append(
        f'<p class="note">Dismiss it: add the line <code>{escape(printable(dismiss_line(pair)))}</code> '
        f"(the two ids, a tab between them) to <code>{DISMISSED}</code>.</p>"
    )
    opened = " open" if rank <= 3 else ""
    return f'<details class="pair"{opened}><summary>{head}</summary>{"".join(body)}</details>'


def _numbers_text(pair: Pair, class_size: int) -> str:
    values = sum(n.values for n in pair.numbers)
    digits = min(n.digits for n in pair.numbers)
    quantities = ", ".join(f"{n.quantity}_bar (test {n.test})" for n in pair.numbers)
    rarest = max(n.shared_by for n in pair.numbers)
    precision = "to every digit" if digits >= 16 else f"to {digits:.0f} significant digits"
    return (
        f"{values} wrong values agree {precision}: {quantities}; no catalogued mistake explains them, and "
        f"{rarest} of {class_size} submissions give those numbers"
    )


def _numbers_table(pair: Pair) -> str:
    rows = "".join(
        f"<tr><td>{escape(n.quantity)}_bar ({escape(n.test)})</td><td class=n><mark>{x:.12g}</mark></td>"
        f"<td class=n><mark>{y:.12g}</mark></td></tr>"
        for n in pair.numbers
        for x, y in n.first
    )
    return f"<table><tr><th>value</th><th>{escape(pair.a)}</th><th>{escape(pair.b)}</th></tr>{rows}</table>"


def _excerpt(screening: Screening, party: str, shared: Text) -> str:
    """A party's files with the matching lines marked, only the regions around them."""
    record = screening.parties.get(party)
    out = [f"<div><b>{escape(printable(party))}</b>"]
    lines = text_lines(record, shared) if record else {}
    for file in record.files if record else ():
        marked = lines.get(str(file.get("name")), set())
        if not marked:
            continue
        text = str(file.get("text", "")).split("\n")
        keep = sorted({n for line in marked for n in range(line - CONTEXT, line + CONTEXT + 1) if 1 <= n <= len(text)})
        shown: list[str] = []
        previous = 0
        for number in keep[:MAX_LINES]:
            if previous and number > previous + 1:
                shown.append('<span class="gap">…</span>')
            line = escape(printable(text[number - 1]))
            shown.append(f"<mark>{number:4} {line}</mark>" if number in marked else f"{number:4} {line}")
            previous = number
        out.append(f'<div class="note">{escape(printable(str(file.get("name"))))}</div><pre>{_join(shown)}</pre>')
    return "".join(out) + "</div>"


def _join(lines: Sequence[str]) -> str:
    return "".join(line if line.startswith("<mark>") else line + "\n" for line in lines)
