"""How points are written, the same in feedback, terminals, spreadsheets and reports (imports nothing of ours)."""

from __future__ import annotations


def format_points(value: float) -> str:
    """Points as people and spreadsheets read them: 4.5, 10, 0.333333 (at most six decimals, no trailing zeros)."""
    text = f"{round(float(value), 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
