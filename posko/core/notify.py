"""Notifications across modules without imports between them.

The coordination module owns the notification inbox (and e-mail) and registers
:func:`notify`'s provider in its ``AppConfig.ready()``. A module that has to tell
someone (an incident past its response target, a worker over the duty-hours limit)
calls :func:`notify`; without a provider it is a no-op returning False.

``key`` says what the notification is about; notifying twice with the same key is a
no-op, which keeps periodic commands (``posko escalate``) idempotent.
"""

from __future__ import annotations

from collections.abc import Callable

# provider(user, kind, title, *, key, url="", body="") -> bool (True when created)
_provider: Callable | None = None

KINDS = ("escalation", "alert")  # besides the coordination module's own task kinds


def register_provider(provider: Callable | None) -> None:
    global _provider
    _provider = provider


def notify(user, kind: str, title: str, *, key: str, url: str = "", body: str = "") -> bool:
    if _provider is None or user is None:
        return False
    return bool(_provider(user, kind, title, key=key, url=url, body=body))
