"""The untrusted side: student code runs only in a limited, unprivileged worker process."""

from autograder.worker.sandbox import Limits, Sandbox, SandboxError, TaskResult, TaskUsage

__all__ = ["Limits", "Sandbox", "SandboxError", "TaskResult", "TaskUsage"]
