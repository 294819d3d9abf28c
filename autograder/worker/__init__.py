"""The untrusted side: student code runs only in a limited, unprivileged worker process."""

from autograder.worker.host import SandboxError
from autograder.worker.limits import Limits
from autograder.worker.sandbox import Sandbox, TaskResult, TaskUsage

__all__ = ["Limits", "Sandbox", "SandboxError", "TaskResult", "TaskUsage"]
