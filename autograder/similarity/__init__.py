"""Class integrity for the TA: submissions whose numbers, designs, code or LaTeX agree where chance would not."""

from autograder.similarity.evidence import EVIDENCE, keeper
from autograder.similarity.screening import CSV, DISMISSED, Screening, first_rows, party_names, screen_class
from autograder.similarity.section import similarity_section

__all__ = [
    "CSV",
    "DISMISSED",
    "EVIDENCE",
    "Screening",
    "first_rows",
    "keeper",
    "party_names",
    "screen_class",
    "similarity_section",
]
