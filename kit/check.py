"""Check your homework the way Gradescope will: `python3 check.py` (this folder) or `python3 check.py FOLDER`.

It needs Python 3.10 to 3.13 and numpy 1.24 or newer, nothing else. See HANDOUT.md.
`--json FILE` also writes the visible tests' results as Gradescope's results.json holds them.
"""

import argparse
import importlib.util
import os
import re
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
numpy_spec = importlib.util.find_spec("numpy")
if numpy_spec is None:
    sys.exit(
        f"check.py needs numpy, which {sys.executable} does not have. "
        "HANDOUT.md says how to get it (a virtual environment with numpy, in two commands)."
    )


def numpy_version() -> str:
    """numpy's version from the name of its metadata folder beside it (pip's numpy-X.Y.Z.dist-info, Debian's
    numpy-X.Y.Z.egg-info), without importing numpy or importlib.metadata, which reads every installed package's
    metadata: tens of milliseconds at every check. A numpy without one (built by hand) is let try: "1.24"."""
    found = []
    for location in numpy_spec.submodule_search_locations or ():
        try:
            names = os.listdir(os.path.dirname(location))
        except OSError:
            continue
        for name in names:
            if match := re.fullmatch(r"numpy-(\d+)\.(\d+)([^-]*?)(?:-py[\d.]+)?\.(?:dist|egg)-info", name):
                found.append((int(match[1]), int(match[2]), f"{match[1]}.{match[2]}{match[3]}"))
    return max(found)[2] if found else "1.24"


version = numpy_version()
if tuple(int(part) for part in version.split(".")[:2]) < (1, 24):
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
from autograder.startup import short_lived  # noqa: E402

sys.exit(short_lived(lambda: main(folder=args.folder, json_path=args.json)))
