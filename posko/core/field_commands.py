"""Field commands: a short report from a TPS (an SMS, say) handed to whichever module
records it, without the sender knowing that module.

The voting module registers what it can record in its ``AppConfig.ready()``::

    field_commands.register(field_commands.STATUS, record_status)
    field_commands.register(field_commands.RESULTS, record_results)

and an intake channel (the sms module) resolves the sender, the TPS (scoped to the sender:
another region's TPS is "not found") and the contest, then calls :func:`handle`. When no
module registered a kind, :func:`available` is False and the channel answers that such
reports are not taken.

A handler receives the command, the ``actor`` (the user the report is recorded as) and the
``election``; it records everything or nothing (a refusal raises Django's
``ValidationError``/``PermissionDenied``, which :func:`handle` turns into a refused
:class:`Outcome`; the caller wraps the call in a savepoint so nothing is half-saved).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError

STATUS = "status"
RESULTS = "results"

#: The TPS states a status command may carry, in the order of voting day (the voting
#: module's vocabulary: siap → dibuka → pemungutan → ditutup → penghitungan → selesai).
STATES = ("siap", "dibuka", "pemungutan", "ditutup", "penghitungan", "selesai")


@dataclass(frozen=True)
class StatusCommand:
    tps: object  # elections.Tps, already checked to be in the actor's scope
    state: str  # one of STATES
    happened_at: datetime.datetime


@dataclass(frozen=True)
class ResultsCommand:
    tps: object  # elections.Tps, in the actor's scope
    contest: object  # elections.Contest voted at the TPS
    votes: dict  # ballot number -> votes
    valid: int
    invalid: int
    voters: int | None = None  # voters who used their right; None: valid + invalid
    reason: str = ""  # why a second entry corrects the first


@dataclass
class Outcome:
    """What became of a command. ``accepted``: recorded (``needs_verification``: recorded
    but failing checks, listed in ``problems``); not accepted: refused with ``problems``
    and nothing saved."""

    accepted: bool
    needs_verification: bool = False
    problems: list[str] = field(default_factory=list)
    record: object = None  # what the handler stored (for the caller's log link)


Handler = Callable[..., Outcome]
_handlers: dict[str, Handler] = {}


def register(kind: str, handler: Handler | None) -> None:
    """``handler(command, *, actor, election) -> Outcome`` for ``kind`` (STATUS or RESULTS);
    None removes it."""
    if handler is None:
        _handlers.pop(kind, None)
    else:
        _handlers[kind] = handler


def available(kind: str) -> bool:
    return kind in _handlers


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [str(m) for messages in error.message_dict.values() for m in messages]
    return [str(m) for m in error.messages]


def handle(kind: str, command, *, actor, election) -> Outcome:
    """Run the registered handler; a refusal (ValidationError, PermissionDenied) becomes a
    refused Outcome. KeyError when nothing handles ``kind`` (check :func:`available`)."""
    handler = _handlers[kind]
    try:
        return handler(command, actor=actor, election=election)
    except ValidationError as error:
        return Outcome(accepted=False, problems=_messages(error))
    except PermissionDenied:
        return Outcome(accepted=False, problems=[])
