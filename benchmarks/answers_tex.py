"""How long reading answers.tex takes: a typical file, its evaluation on the default problems, and
about 1 MB of each pathological input the tests feed it (tests/test_tex.py, HOSTILE_DOCUMENTS).

    .venv/bin/python benchmarks/answers_tex.py

Target: every input read in well under the worker's 5 s per-call limit (the limit is the last
resort, not the plan), on an idle 2-core machine; the load average is printed beside the figures.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_tex import HOSTILE_DOCUMENTS  # type: ignore[import-not-found]  # noqa: E402

from autograder.judge.lstm_model import judged_problems  # noqa: E402
from autograder.judge.lstm_problem import LstmParams, call_arguments  # noqa: E402
from autograder.worker import tex  # noqa: E402
from autograder.worker.inside.values import rebuild  # noqa: E402

LIMIT_SECONDS = 5.0


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> int:
    print(f"Load average before: {os.getloadavg()[0]:.2f}")
    typical = (ROOT / "submissions_sample" / "tex_overleaf_main_tex" / "main.tex").read_bytes()
    module = tex.read(typical)
    calls = [rebuild(call_arguments(problem)) for problem in judged_problems(LstmParams())]
    print(
        f"typical main.tex ({len(typical):,} bytes): read {timed(lambda: tex.read(typical)) * 1000:.1f} ms, "
        f"evaluated on {len(calls)} default problems "
        f"{timed(lambda: [module.lstm_bptt(**call) for call in calls]) * 1000:.1f} ms"
    )
    worst = 0.0
    for name, data in HOSTILE_DOCUMENTS.items():
        seconds = timed(lambda data=data: tex.read(data))
        worst = max(worst, seconds)
        print(f"hostile {name:<24} {len(data):>9,} bytes: {seconds:.2f} s")
    print(f"Load average after: {os.getloadavg()[0]:.2f}")
    return 0 if worst < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
