"""What one worker task may use: the sandbox's limits, set by the configuration's `limits:` section."""

from __future__ import annotations

from autograder.record import Record, field
from autograder.worker.isolation import LAYERS, check_names


class Limits(Record):
    """What one task may use. Times are seconds."""

    call_seconds: float = field(
        default=5.0,
        metadata={
            "doc": "Seconds one call of the student's function may take (its import too, and each code cell of "
            "a notebook); after a timeout the remaining calls are skipped."
        },
    )
    wall_seconds: float = field(
        default=30.0,
        metadata={
            "doc": "Seconds one question's whole worker task may take; then every process of it is killed. "
            "A notebook's cells share two thirds of it."
        },
    )
    cpu_seconds: int = field(default=30, metadata={"doc": "CPU seconds the worker may use (RLIMIT_CPU)."})
    memory_mb: int = field(
        default=512,
        metadata={
            "doc": "Address space of the worker in MB (RLIMIT_AS); keep it below the container's memory "
            "(Gradescope: about 768 MB)."
        },
    )
    processes: int = field(
        default=32, metadata={"doc": "Processes the worker user may run at once (RLIMIT_NPROC): bounds fork bombs."}
    )
    file_size_mb: int = field(default=16, metadata={"doc": "Largest file the worker may write, in MB (RLIMIT_FSIZE)."})
    output_bytes: int = field(
        default=65536,
        metadata={
            "doc": "How much of the student's printed output is kept (instructors see it); the rest is cut with a note."
        },
    )
    reply_bytes: int = field(
        default=4_000_000, metadata={"doc": "Largest answer the worker may send back, in bytes; more fails the task."}
    )
    require_layers: tuple[str, ...] = field(
        default=(),
        metadata={
            "doc": "Protection layers that must be in force, else the autograder refuses to grade (an autograder "
            "failure in results.json, never a 0 that looks like the student's): any of "
            + ", ".join(f"`{name}`" for name in LAYERS)
            + ". Gradescope's containers give no namespaces (README, security model); empty: grade in any mode, "
            "saying which layers are missing."
        },
    )

    def __post_init__(self) -> None:
        check_names(self.require_layers)
