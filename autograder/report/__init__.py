"""Reporting: results.json for Gradescope and a readable summary for people."""
