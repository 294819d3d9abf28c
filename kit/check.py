"""Check your homework the way Gradescope will: `python3 check.py` (this folder) or `python3 check.py FOLDER`."""

import sys
from pathlib import Path

if sys.version_info < (3, 10):
    sys.exit("check.py needs Python 3.10 or newer; you have " + sys.version.split()[0] + ".")
here = Path(__file__).resolve().parent
sys.path.insert(0, str(here))
try:
    from autograder.cli import main
except ImportError as error:
    sys.exit(f"check.py could not start ({error}).\n"
             f"Install what it needs, then try again:  python3 -m pip install -r {here / 'requirements.txt'}")

sys.exit(main(["check", *(sys.argv[1:] or [str(here)])]))
