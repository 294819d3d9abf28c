"""The worker's entry: `python -I PATH/inside zygote CONTROL_FD`, PATH being the sandbox's private copy
(this package beside tex/ and vendor/). Python puts this folder first on sys.path; the worker imports the
package from its parent instead, so each module has one name (inside.wire, inside.zygote, ...)."""

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:1] = [os.path.dirname(here)]

from inside.zygote import main  # type: ignore[import-not-found]  # noqa: E402  # the private copy

main(sys.argv[1:])
