"""The same at the same time in question 1's task, with lists: `[],[],...`."""
import os

os.write(3, b'{"names":{"U":[' + b"[]," * 1_300_000 + b"[]]}}\n")
