"""Follow-up tasks across modules without imports between them.

A module that wants an action followed up as a task of the Desk Pilkada (a mitigation
action for a vulnerable TPS, an incident handed to an agency, extra outreach for a
kelurahan) calls :func:`create_task`. The coordination module registers the provider in
its ``AppConfig.ready()``; when it is absent, :func:`available` is False and the caller
keeps the action in its own module with the same fields.

Each task carries a ``source`` key chosen by the caller (``"vulnerability.action:42"``),
so the caller can later ask :func:`tasks_for` for the tasks it created and show their
status without knowing the coordination models.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class TaskRequest:
    election: object
    title: str
    source: str  # "<app>.<model>:<pk>", at most 80 characters
    description: str = ""
    agency: object | None = None  # accounts.Agency
    due_at: datetime.datetime | None = None  # None: the provider's default (3 days)
    kecamatan: object | None = None
    kelurahan: object | None = None
    tps: object | None = None
    priority: str = "normal"  # "low" | "normal" | "high" | "urgent"


@dataclass
class TaskRef:
    pk: int
    source: str
    title: str
    url: str
    status: str  # the provider's status code
    status_label: str
    is_done: bool
    agency: str = ""
    due_at: datetime.datetime | None = None
    extra: dict = field(default_factory=dict)


class TaskProvider:
    def create(self, request: TaskRequest, *, actor) -> TaskRef:  # pragma: no cover
        raise NotImplementedError

    def find(self, sources: Iterable[str]) -> dict[str, list[TaskRef]]:  # pragma: no cover
        raise NotImplementedError


_provider: TaskProvider | None = None


def register_provider(provider: TaskProvider | None) -> None:
    global _provider
    _provider = provider


def available() -> bool:
    return _provider is not None


def create_task(request: TaskRequest, *, actor) -> TaskRef:
    """Create the task (validated and audited by the provider). Raises ValidationError
    with the provider's messages; RuntimeError when no provider is installed."""
    if _provider is None:
        raise RuntimeError("no task provider is installed (the coordination module is absent)")
    return _provider.create(request, actor=actor)


def tasks_for(sources: Iterable[str]) -> dict[str, list[TaskRef]]:
    """The tasks created for each source key (absent keys have none)."""
    sources = [s for s in sources if s]
    if _provider is None or not sources:
        return {}
    return _provider.find(sources)
