"""Turnout per TPS."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from posko.core import audit, clock, services
from posko.outreach.access import may_enter_turnout
from posko.outreach.models import (
    TpsTurnout,
)
from posko.outreach.rules import turnout_problems


def local_today() -> datetime.date:
    return clock.today()


def save_turnout(tps, values: dict, *, actor, expected_version: int | None = None) -> TpsTurnout:
    """Create or change the turnout of ``tps``; ValidationError on any rule, nothing saved."""
    if not may_enter_turnout(actor, tps):
        raise PermissionDenied
    errors = turnout_problems(tps.dpt_men + tps.dpt_women, values, tps.election.voting_date,
                              local_today())
    if errors:
        raise ValidationError(errors)
    fields = ("registered_dptb", "registered_dpk", "voted_dpt", "voted_dptb", "voted_dpk")
    with transaction.atomic():
        turnout = TpsTurnout.objects.select_for_update().filter(tps=tps).first()
        is_new = turnout is None
        if not is_new:
            turnout.tps = tps
        if is_new:
            turnout = TpsTurnout.for_tps(tps)
            before = None
        else:
            before = audit.snapshot(turnout)
        for field in fields:
            setattr(turnout, field, values.get(field) or 0)
        turnout.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
        if is_new:
            turnout.save()
            audit.record("create", turnout, actor=actor, after=audit.snapshot(turnout))
        else:
            services.bump_version(turnout, expected_version if expected_version is not None
                                  else before["version"], locked=True)
            turnout.save()
            after = audit.snapshot(turnout)
            if {k: v for k, v in after.items() if k not in ("updated_at", "version")} != \
                    {k: v for k, v in before.items() if k not in ("updated_at", "version")}:
                audit.record("update", turnout, actor=actor, before=before, after=after)
    return turnout
