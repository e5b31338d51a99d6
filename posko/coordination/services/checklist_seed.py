"""Seeding Posko's standard supervision checklists (:mod:`posko.coordination.standard_checklists`)
into an election: one per stage, each item with its responsible agencies.

Idempotent: a checklist is known by its election and title; one that exists is left
exactly as it is (the admin may have edited, reordered or deleted its items), so seeding
again creates only what is missing. Each stage key takes the earliest stage of the
election whose name holds one of its words and that no earlier key took; a checklist
whose stage is not found is still created, without a stage, and reported. Agencies are
found by name or short name; an agency not found is reported, and its items keep the
other agencies they name (an item naming none that exist is created without one and
reported: its unmet answers cannot become tasks until the admin names one).

Everything is written in one transaction under a lock on the election (two admins
seeding at once: the second finds the first's checklists) and audited row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from posko.accounts.models import Agency
from posko.coordination.models import SupervisionChecklist, SupervisionItem
from posko.coordination.standard_checklists import AGENCIES, CHECKLISTS, STAGES, StandardChecklist
from posko.core import audit
from posko.elections.models import Election, Stage

AUDIT_MESSAGE = "standard checklist"  # the audit rows' message (a fixed tag, not translated)


@dataclass
class SeedLine:
    standard: StandardChecklist
    stage: Stage | None
    existing: SupervisionChecklist | None
    agencies: list[list[Agency]]  # per item, in the item's order

    @property
    def items(self) -> list[tuple[str, list[Agency]]]:
        """(text, the agencies found for it) of each item."""
        return [(text, found) for (text, _keys), found in zip(self.standard.items, self.agencies,
                                                               strict=True)]


@dataclass
class SeedPlan:
    election: Election
    lines: list[SeedLine]
    missing_agencies: list[str]  # labels of the standard agencies not found
    created_checklists: int = 0
    created_items: int = 0
    created: list[SupervisionChecklist] = field(default_factory=list)

    @property
    def to_create(self) -> list[SeedLine]:
        return [line for line in self.lines if line.existing is None]

    @property
    def existing(self) -> list[SeedLine]:
        return [line for line in self.lines if line.existing is not None]

    @property
    def without_stage(self) -> list[SeedLine]:
        return [line for line in self.to_create if line.stage is None]

    def summary(self) -> str:
        parts = [ngettext("%(n)s checklist created", "%(n)s checklists created",
                          self.created_checklists) % {"n": self.created_checklists},
                 ngettext("%(n)s item", "%(n)s items", self.created_items) % {
                     "n": self.created_items},
                 _("%(n)s already present") % {"n": len(self.existing)}]
        if self.without_stage:
            parts.append(_("without a matching stage: %(titles)s") % {
                "titles": ", ".join(line.standard.title for line in self.without_stage)})
        if self.missing_agencies:
            parts.append(_("agencies not found: %(names)s") % {
                "names": ", ".join(self.missing_agencies)})
        return "; ".join(parts)


def match_stages(stages) -> dict[str, Stage]:
    """Stage key -> the election's stage for it (see the module docstring)."""
    ordered = sorted(stages, key=lambda s: (s.start_date, s.end_date, s.pk))
    taken: set[int] = set()
    found: dict[str, Stage] = {}
    for key, words in STAGES:
        for stage in ordered:
            name = stage.name.lower()
            if stage.pk not in taken and any(word in name for word in words):
                found[key] = stage
                taken.add(stage.pk)
                break
    return found


def _matches(agency: Agency, name: str) -> bool:
    name = name.lower()
    full, short = agency.name.lower(), (agency.short_name or "").lower()
    return name in (full, short) or full.startswith(name + " ")


def match_agencies(agencies) -> dict[str, Agency | None]:
    """Standard agency key -> the agency found (the first name that matches wins), with
    the fallback key's agency when none matches, else None."""
    agencies = sorted(agencies, key=lambda a: (a.kind == Agency.Kind.KECAMATAN, a.name, a.pk))
    found: dict[str, Agency | None] = {}
    for key, standard in AGENCIES.items():
        found[key] = next((a for name in standard.names for a in agencies if _matches(a, name)),
                          None)
    for key, standard in AGENCIES.items():
        if found[key] is None and standard.fallback:
            found[key] = found.get(standard.fallback)
    return found


def plan(election: Election) -> SeedPlan:
    """What seeding ``election`` would create, and what it would not find."""
    stages = match_stages(Stage.objects.filter(election=election))
    agencies = match_agencies(Agency.objects.all())
    existing = {c.title: c for c in SupervisionChecklist.objects.filter(
        election=election, title__in=[s.title for s in CHECKLISTS])}
    lines, missing = [], []
    for standard in CHECKLISTS:
        per_item = []
        for _text, keys in standard.items:
            per_item.append([agencies[k] for k in keys if agencies[k] is not None])
            missing.extend(AGENCIES[k].label for k in keys if agencies[k] is None)
        lines.append(SeedLine(standard, stages.get(standard.stage), existing.get(standard.title),
                              per_item))
    return SeedPlan(election, lines, sorted(set(missing)))


@transaction.atomic
def seed(election: Election, *, actor) -> SeedPlan:
    """Create the standard checklists ``election`` lacks; see the module docstring."""
    Election.objects.select_for_update().filter(pk=election.pk).first()
    result = plan(election)
    message = AUDIT_MESSAGE
    for line in result.to_create:
        standard = line.standard
        checklist = SupervisionChecklist(election=election, stage=line.stage,
                                         title=standard.title, level=standard.level,
                                         description=standard.description)
        checklist.full_clean()
        checklist.save()
        audit.record("create", checklist, actor=actor, after=audit.snapshot(checklist),
                     message=message)
        for order, ((text, _keys), agencies) in enumerate(zip(standard.items, line.agencies,
                                                                strict=True), start=1):
            item = SupervisionItem.objects.create(checklist=checklist, text=text, order=order)
            item.agencies.set(agencies)
            audit.record("create", item, actor=actor, message=message, after={
                **audit.snapshot(item), "agencies": [a.name for a in agencies]})
            result.created_items += 1
        result.created_checklists += 1
        result.created.append(checklist)
    return result
