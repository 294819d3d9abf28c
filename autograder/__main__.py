"""Entry point: `python3 -m autograder VERB ...`."""

import sys

from autograder.cli import main

sys.exit(main(whole_process=True))
