import sys

sys.exit("the kit's check.py: never graded")
