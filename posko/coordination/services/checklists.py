"""Supervision checklists per stage: who answers for which region, saving a region's
answers (all or nothing, audited), turning an unmet item into a task, and completion.

Who answers: a kelurahan-level checklist is answered for a kelurahan by its lurah, the
camat of its kecamatan or the Desk admin (``Kelurahan.objects.editable_by``); a
kecamatan-level checklist by the camat or the admin (``Kecamatan.objects.editable_by``,
without the lurah, who sees their kecamatan but does not speak for it).

Completion counts, per region, the answers given against the items expected; the met
rate counts met answers against the applicable ones (met + not met): an item answered
"not applicable" is answered, but neither met nor unmet.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from posko.accounts.models import Agency, Role, User
from posko.coordination.models import (
    SupervisionChecklist,
    SupervisionItem,
    SupervisionResponse,
    Task,
)
from posko.coordination.services.tasks import create_task
from posko.core import audit, clock
from posko.core.uploads import PHOTO_KINDS, check_upload
from posko.regions.models import Kecamatan, Kelurahan

TASK_DAYS = 2  # an unmet item's task is due this many days after it is made
FINDING_MAX = 2000


def is_kelurahan_level(checklist: SupervisionChecklist) -> bool:
    return checklist.level == SupervisionChecklist.Level.KELURAHAN


def visible_regions(checklist: SupervisionChecklist, user):
    """The regions whose row of the completion table ``user`` sees."""
    if is_kelurahan_level(checklist):
        return Kelurahan.objects.visible_to(user).select_related("kecamatan")
    return Kecamatan.objects.visible_to(user)


def answerable_regions(checklist: SupervisionChecklist, user):
    """The regions ``user`` may answer ``checklist`` for."""
    if is_kelurahan_level(checklist):
        return Kelurahan.objects.editable_by(user)
    if getattr(user, "effective_role", None) == Role.KELURAHAN:
        return Kecamatan.objects.none()
    return Kecamatan.objects.editable_by(user)


def region_place(region) -> tuple[str, str | None]:
    """(kecamatan code, kelurahan code or None) of a Kelurahan or Kecamatan."""
    if isinstance(region, Kelurahan):
        return region.kecamatan_id, region.code
    return region.code, None


def responses_for(checklist: SupervisionChecklist, region):
    kecamatan_id, kelurahan_id = region_place(region)
    qs = SupervisionResponse.objects.filter(item__checklist=checklist)
    if kelurahan_id:
        return qs.filter(kelurahan_id=kelurahan_id)
    return qs.filter(kecamatan_id=kecamatan_id, kelurahan__isnull=True)


def _snapshot(response: SupervisionResponse) -> dict:
    """audit.snapshot with the photo as its stored name (a FieldFile is not JSON)."""
    data = audit.snapshot(response)
    data["photo"] = response.photo.name or ""
    return data


# --- answering ---------------------------------------------------------------------------

@dataclass
class Answer:
    """One item's answer as submitted: ``answer`` "" means not answered (yet)."""

    item: SupervisionItem
    answer: str = ""
    finding: str = ""
    photo: object = None  # an UploadedFile or None
    checked: object = field(default=None, repr=False)  # the CheckedUpload, once checked


def _problems(answers: list[Answer]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    valid = set(SupervisionResponse.Answer.values)
    for entry in answers:
        key = str(entry.item.pk)
        if entry.answer and entry.answer not in valid:
            errors.setdefault(key, []).append(_("Choose met, not met or not applicable."))
        if not entry.answer and (entry.finding.strip() or entry.photo):
            errors.setdefault(key, []).append(
                _("Choose an answer for this item before adding a finding or a photo."))
        if len(entry.finding) > FINDING_MAX:
            errors.setdefault(key, []).append(_("A finding may have at most %(max)s characters.") % {
                "max": FINDING_MAX})
        if entry.photo:
            try:
                entry.checked = check_upload(entry.photo, PHOTO_KINDS)
            except ValidationError as exc:
                errors.setdefault(key, []).extend(exc.messages)
    return errors


@transaction.atomic
def save_answers(checklist: SupervisionChecklist, region, answers: list[Answer], *, actor,
                 now=None) -> int:
    """Save one region's answers; every problem is reported (ValidationError keyed by item
    pk) before anything is written. Returns the number of answers created or changed."""
    errors = _problems(answers)
    if errors:
        raise ValidationError(errors)
    now = now or clock.now()
    kecamatan_id, kelurahan_id = region_place(region)
    existing = {r.item_id: r for r in responses_for(checklist, region).select_for_update()}
    changed = 0
    for entry in answers:
        if not entry.answer:
            continue  # unanswered items stay as they were
        response = existing.get(entry.item.pk)
        is_new = response is None
        if is_new:
            response = SupervisionResponse(item=entry.item, kecamatan_id=kecamatan_id,
                                           kelurahan_id=kelurahan_id)
            before = None
        else:
            before = _snapshot(response)
        checked = entry.checked
        same = (not is_new and response.answer == entry.answer
                and response.finding == entry.finding.strip() and checked is None)
        if same:
            continue
        response.answer = entry.answer
        response.finding = entry.finding.strip()
        response.responded_by = actor if getattr(actor, "is_authenticated", False) else None
        response.responded_at = now
        if checked is not None:
            old_name = response.photo.name if response.photo else ""
            response.photo_token, response.photo_extension = checked.token, checked.kind.extension
            response.photo.save(f"{checked.token}{checked.kind.extension}", checked.file, save=False)
            if old_name:
                storage = response.photo.storage
                transaction.on_commit(lambda name=old_name, s=storage: s.delete(name))
        response.full_clean(exclude=["item", "kecamatan", "kelurahan", "responded_by", "task"])
        response.save()
        after = _snapshot(response)
        audit.record("create" if is_new else "update", response, actor=actor, before=before,
                     after=after, message=str(checklist))
        changed += 1
    return changed


# --- unmet item → task -------------------------------------------------------------------

def task_agency(item: SupervisionItem, agency_id=None) -> Agency:
    """The agency a task for ``item`` goes to: the one chosen among the item's responsible
    agencies, else the first of them (by name)."""
    agencies = item.agencies.order_by("name", "pk")
    if agency_id not in (None, ""):
        try:
            chosen = agencies.filter(pk=agency_id).first()
        except (ValueError, TypeError):
            chosen = None
        if chosen is None:
            raise ValidationError(_("Choose one of the item's responsible agencies."))
        return chosen
    first = agencies.first()
    if first is None:
        raise ValidationError(_(
            "This item has no responsible agency, so its task would have no owner. Ask the Desk "
            "Pilkada admin to name the responsible agencies of the item first."))
    return first


@transaction.atomic
def answer_to_task(response: SupervisionResponse, *, actor, agency_id=None,
                   now=None) -> tuple[Task, bool]:
    """Turn an unmet answer into a task for its region, owned by a responsible agency and
    assigned to that agency's operators; due in two days. A second call returns the same
    task: (task, created)."""
    response = (SupervisionResponse.objects.select_for_update(of=("self",))
                .select_related("item__checklist__stage", "kelurahan", "kecamatan")
                .get(pk=response.pk))
    if response.task_id:
        return response.task, False
    if response.answer != SupervisionResponse.Answer.UNMET:
        raise ValidationError(_("Only an item that is not met can become a task."))
    item = response.item
    checklist = item.checklist
    agency = task_agency(item, agency_id)
    now = now or clock.now()
    place = response.kelurahan.name if response.kelurahan_id else f"Kec. {response.kecamatan.name}"
    description = "\n".join(line for line in (
        _("Supervision checklist: %(checklist)s") % {"checklist": checklist.title},
        (_("Stage: %(stage)s") % {"stage": checklist.stage.name}) if checklist.stage_id else "",
        _("Region: %(place)s") % {"place": place},
        (_("Finding: %(finding)s") % {"finding": response.finding}) if response.finding else "",
    ) if line)
    task = Task(election_id=checklist.election_id, title=(_("Follow up: %(item)s") % {
        "item": item.text})[:200], description=description, agency=agency,
        kecamatan_id=response.kecamatan_id, kelurahan_id=response.kelurahan_id,
        stage_id=checklist.stage_id, due_at=now + datetime.timedelta(days=TASK_DAYS),
        priority=Task.Priority.TINGGI, created_at=now)
    operators = User.objects.filter(is_active=True, role=Role.AGENCY, agency=agency)
    create_task(task, actor=actor, assignees=operators)
    response.task = task
    response.save(update_fields=["task"])
    audit.record("update", response, actor=actor, message=_("task created: %(task)s") % {
        "task": task.title})
    return task, True


# --- completion --------------------------------------------------------------------------

def _pct(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass
class CompletionRow:
    code: str
    name: str
    parent: str
    expected: int
    answered: int = 0
    met: int = 0
    unmet: int = 0
    na: int = 0
    can_fill: bool = False

    @property
    def answered_pct(self) -> int | None:
        return _pct(self.answered, self.expected)

    @property
    def met_pct(self) -> int | None:
        return _pct(self.met, self.met + self.unmet)


def _counts(responses, key: str) -> dict[str, dict]:
    return {row[key]: row for row in responses.values(key).annotate(
        answered=Count("pk"),
        met=Count("pk", filter=Q(answer=SupervisionResponse.Answer.MET)),
        unmet=Count("pk", filter=Q(answer=SupervisionResponse.Answer.UNMET)),
        na=Count("pk", filter=Q(answer=SupervisionResponse.Answer.NOT_APPLICABLE)),
    ).order_by()}


def completion(checklist: SupervisionChecklist, user) -> tuple[list[CompletionRow], CompletionRow]:
    """One row per region ``user`` sees (a lurah: their own; the admin: all), and the total."""
    expected = checklist.items.count()
    responses = SupervisionResponse.objects.visible_to(user).filter(item__checklist=checklist)
    fillable = set(answerable_regions(checklist, user).values_list("code", flat=True))
    if is_kelurahan_level(checklist):
        counts = _counts(responses.filter(kelurahan__isnull=False), "kelurahan_id")
        regions = [(k.code, k.name, k.kecamatan.name) for k in
                   visible_regions(checklist, user).order_by("kecamatan__name", "name")]
    else:
        counts = _counts(responses.filter(kelurahan__isnull=True), "kecamatan_id")
        regions = [(k.code, k.name, "") for k in visible_regions(checklist, user).order_by("name")]
    rows = []
    for code, name, parent in regions:
        found = counts.get(code, {})
        rows.append(CompletionRow(code, name, parent, expected, found.get("answered", 0),
                                  found.get("met", 0), found.get("unmet", 0), found.get("na", 0),
                                  code in fillable))
    total = CompletionRow("", "", "", expected * len(rows),
                          *(sum(getattr(r, f) for r in rows) for f in ("answered", "met", "unmet",
                                                                       "na")))
    return rows, total
