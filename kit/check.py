"""Check your homework the way Gradescope will: `python3 check.py` (this folder) or `python3 check.py FOLDER`.

It needs Python 3.10 to 3.13 and numpy 1.24 or newer, nothing else. See HANDOUT.md.
`--json FILE` also writes the visible tests' results as Gradescope's results.json holds them.
"""

import argparse
import importlib.metadata
import importlib.util
import sys
from pathlib import Path

if sys.version_info < (3, 10):
    sys.exit("check.py needs Python 3.10 or newer; this is Python " + sys.version.split()[0] + ".")
if sys.platform == "win32":
    sys.exit(
        "check.py runs on Linux and macOS. On Windows, run it in WSL (Windows Subsystem for Linux) "
        "or in Google Colab; Gradescope grades your files the same either way."
    )
# numpy is looked for, not imported: the check imports it while its worker starts, side by side.
if importlib.util.find_spec("numpy") is None:
    sys.exit(
        f"check.py needs numpy, which {sys.executable} does not have. "
        "HANDOUT.md says how to get it (a virtual environment with numpy, in two commands)."
    )
try:
    version = importlib.metadata.version("numpy")
except importlib.metadata.PackageNotFoundError:
    version = "1.24"  # a numpy without its metadata (built by hand): let it try
if tuple(int(part) for part in version.split(".")[:2] if part.isdigit()) < (1, 24):
    sys.exit(f"check.py needs numpy 1.24 or newer; this is numpy {version}. See HANDOUT.md.")

here = Path(__file__).resolve().parent
parser = argparse.ArgumentParser(prog="python3 check.py", description=__doc__.split("\n")[0])
parser.add_argument(
    "folder",
    nargs="?",
    type=Path,
    default=here,
    help="the folder (or .zip) holding your files (default: this kit's folder)",
)
parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON to FILE")
args = parser.parse_args()
sys.path.insert(0, str(here))
from autograder.check import main  # noqa: E402 - after the checks above, which say what is missing

sys.exit(main(folder=args.folder, json_path=args.json))
