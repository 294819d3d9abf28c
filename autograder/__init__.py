"""An autograder for the RNN homework: a binary-adder RNN (question 1) and LSTM backprop (question 2)."""

__version__ = "1.0.0"
