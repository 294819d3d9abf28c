"""Trusted, pure judges: plain numbers from the worker in, verdicts out; no I/O, no student code."""
