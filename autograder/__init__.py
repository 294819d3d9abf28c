"""An autograder for the RNN homework: a binary-adder RNN (question 1) and LSTM backprop (question 2)."""

import os

__version__ = "1.0.0"

# One BLAS thread in every process of the grader, set here, before anything imports numpy: the judges'
# matrices are small, and more threads only spin against the worker's processes for the same cores (the
# worker runs one too: sandbox.ENVIRONMENT). A value the caller set is kept.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
del _name
