"""What a quick-count design and its changes must satisfy: ``[(field, message)]`` with the
numbers in the message."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

MIN_MOE = Decimal("0.1")
MAX_MOE = Decimal("20")


def design_problems(*, target_moe, sample_size, population: int) -> list[tuple[str, str]]:
    """Either a target margin of error or a sample size; within bounds."""
    if target_moe is None and not sample_size:
        return [("target_moe", _("Give a target margin of error or a sample size."))]
    if target_moe is not None and sample_size:
        return [("sample_size", _(
            "Give a target margin of error or a sample size, not both (%(moe)s points and "
            "%(n)s TPS given).") % {"moe": target_moe, "n": sample_size})]
    if target_moe is not None and not MIN_MOE <= target_moe <= MAX_MOE:
        return [("target_moe", _(
            "The target margin of error must be between %(low)s and %(high)s percentage "
            "points, not %(moe)s.") % {"low": MIN_MOE, "high": MAX_MOE, "moe": target_moe})]
    if population == 0:
        return [("__all__", _("The contest has no TPS in the registry yet: nothing to draw from."))]
    if sample_size and sample_size > population:
        return [("sample_size", _(
            "The sample (%(n)s TPS) is larger than the contest's %(total)s TPS.") % {
            "n": sample_size, "total": population})]
    return []


def before_voting_day(election, now) -> bool:
    return timezone.localtime(now).date() < election.voting_date


def change_problems(design, election, now, *, action: str) -> list[tuple[str, str]]:
    """A locked sample is never drawn again, changed or deleted; a design is created,
    drawn and locked only before voting day (a sample fixed on the day proves nothing)."""
    if design is not None and design.locked_at:
        return [("__all__", _(
            "The sample was locked on %(when)s (hash %(hash)s…): it can no longer be drawn "
            "again, changed or deleted.") % {
            "when": timezone.localtime(design.locked_at).strftime("%d-%m-%Y %H.%M"),
            "hash": design.sample_hash[:12]})]
    if action != "delete" and not before_voting_day(election, now):
        return [("__all__", _(
            "Voting day (%(day)s) has begun: a quick-count sample can only be designed, drawn "
            "and locked before it.") % {"day": election.voting_date.strftime("%d-%m-%Y")})]
    if action == "lock" and (design is None or not design.drawn_at):
        return [("__all__", _("Draw the sample before locking it."))]
    return []
