"""Open an incident report from any module without importing the incidents module.

A TPS that reports a security problem on voting day, say, should also appear in the
incident workflow (triage, SLA, escalation). The incidents module registers the provider in
its ``AppConfig.ready()``; when it is absent :func:`available` is False and the caller keeps
the problem in its own records only.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class ProblemReport:
    election: object
    tps: object  # elections.Tps (its kelurahan places the report)
    kind: str  # "logistik" | "petugas" | "listrik" | "keamanan" | "bencana"
    title: str
    description: str
    occurred_at: datetime.datetime


@dataclass
class ReportRef:
    code: str
    url: str


_provider: Callable[..., ReportRef] | None = None


def register_provider(provider: Callable[..., ReportRef] | None) -> None:
    """``provider(problem: ProblemReport, *, actor) -> ReportRef``."""
    global _provider
    _provider = provider


def available() -> bool:
    return _provider is not None


def open_report(problem: ProblemReport, *, actor) -> ReportRef | None:
    """The report opened for ``problem`` (in the caller's transaction), or None when no
    incidents module is installed."""
    return _provider(problem, actor=actor) if _provider is not None else None
