"""Pure-Python libraries bundled for the worker and the student kit (contract 5.7); see README.md.

Importing this package puts the folder on sys.path, first, so that `import lark` finds the pinned
copy here and never another installed version.
"""

import os
import sys

FOLDER = os.path.dirname(os.path.abspath(__file__))
if FOLDER not in sys.path:
    sys.path.insert(0, FOLDER)
