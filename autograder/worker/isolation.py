"""The isolation of a grading: which protection layers are in force, which are missing and why (docs/spec.md 6.1).

The zygote finds what the machine allows as it starts (inside/layers.py); the sandbox's mode decides
what of it is used. The result goes into results.json's `extra_data`, one line of every log a person
reads (run_autograder's, `check`'s, the batch's summary), and the floor an instructor may require
(`limits.require_layers`): the grader never runs with fewer layers than another machine gives without
saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from autograder.record import Record, field

# The layers, in the order they are listed, with what each gives in a few words.
LAYERS = {
    "worker_user": "a dedicated worker user",
    "seccomp": "the system-call filter (no SysV IPC, keyrings, sockets, tracing, namespaces)",
    "mount_namespace": "private /tmp, /dev/shm and task folder",
    "ipc_namespace": "private IPC",
    "network_namespace": "no network",
}
NAMESPACES = ("mount_namespace", "ipc_namespace", "network_namespace")
# What stands in, in the mode without namespaces (README, security model).
STANDING_IN = (
    "the filter closes IPC and sockets; the supervisor bounds the worker user's files in /tmp and /dev/shm; "
    "clean-up as the worker user removes what is left"
)


class Isolation(Record):
    """The layers of one sandbox: those in force, and those missing with the reason for each."""

    mode: str
    in_force: tuple[str, ...]
    missing: Mapping[str, str] = field(default_factory=dict)
    machine: Mapping[str, Any] = field(default_factory=dict)  # what the zygote found (plain data)

    @classmethod
    def of(cls, found: Mapping[str, Any], *, mode: str, private: bool) -> Isolation:
        """The layers a sandbox of `mode` gets on a machine that allows what `found` says (the zygote's
        report; an empty one, from a worker that did not report, means nothing was found)."""
        missing: dict[str, str] = {}
        if mode != "dedicated":
            missing["worker_user"] = "not root: the code runs as the current user"
        if "seccomp" not in found:
            missing["seccomp"] = "the worker did not report what the machine allows"
        elif found["seccomp"] is not None:
            missing["seccomp"] = str(found["seccomp"])
        for name in NAMESPACES:
            if mode != "dedicated" and found and not found.get("user_namespace"):
                missing[name] = "not root, and this system allows no unprivileged user namespace"
            elif not private:
                missing[name] = "turned off for this sandbox"
            elif not found:
                missing[name] = "the worker did not report what the machine allows"
            elif not found.get(name):
                missing[name] = (
                    "root lacks CAP_SYS_ADMIN, as in a Docker container"
                    if mode == "dedicated" and not found.get("cap_sys_admin")
                    else "the machine refuses namespaces: a seccomp profile or a security module"
                )
        in_force = tuple(name for name in LAYERS if name not in missing)
        return cls(mode=mode, in_force=in_force, missing=missing, machine=dict(found))

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Isolation:
        """Back from `record()` (a results.json's `extra_data`); raises KeyError or TypeError if it is not one."""
        machine = {key: bool(record[key]) for key in ("cap_sys_admin", "user_namespace")}
        return cls(str(record["mode"]), tuple(record["in_force"]), dict(record["missing"]), machine)

    def record(self) -> dict[str, Any]:
        """For results.json's `extra_data`: plain JSON."""
        return {
            "mode": self.mode,
            "in_force": list(self.in_force),
            "missing": dict(self.missing),
            "cap_sys_admin": bool(self.machine.get("cap_sys_admin")),
            "user_namespace": bool(self.machine.get("user_namespace")),
        }

    def line(self) -> str:
        """One line for a person: what is in force, what is missing and why, and what stands in."""
        if not self.missing:
            return f"Isolation: every layer in force ({', '.join(LAYERS[name] for name in self.in_force)})."
        reasons: dict[str, list[str]] = {}
        for name, why in self.missing.items():
            reasons.setdefault(why, []).append(name)
        gaps = "; ".join(f"{', '.join(names)} ({why})" for why, names in reasons.items())
        text = f"Isolation: missing {gaps}. In force: {', '.join(self.in_force) or 'none'}."
        if self.mode == "dedicated" and all(name in self.missing for name in NAMESPACES):
            text += f" Standing in: {STANDING_IN}."
        return text

    def refusal(self, required: Iterable[str]) -> str | None:
        """None when every `required` layer is in force, else why grading is refused (for course staff)."""
        lacking = [name for name in required if name not in self.in_force]
        if not lacking:
            return None
        reasons = ", ".join(f"{name} ({self.missing.get(name, 'missing')})" for name in lacking)
        return (
            f"The autograder refused to grade: the course requires protection layers that this machine does "
            f"not give: {reasons} (the configuration's `limits.require_layers`)."
        )


def check_names(names: Iterable[str]) -> None:
    """Raise ValueError for a name that is not a layer (a configuration's `require_layers`)."""
    unknown = [name for name in names if name not in LAYERS]
    if unknown:
        raise ValueError(f"unknown protection layer {unknown[0]!r}; known: {', '.join(LAYERS)}")


def isolation_of(results: Mapping[str, Any]) -> Isolation | None:
    """The layers a results.json's grading had (None if it does not say: a grading that never began)."""
    try:
        return Isolation.from_record(results["extra_data"]["isolation"])
    except (KeyError, TypeError, ValueError):
        return None
