"""The student kit's copy of the grader's question 1 judge (a stand-in: only its name matters here)."""

from autograder.judge.adder_hints import hint  # noqa: F401
