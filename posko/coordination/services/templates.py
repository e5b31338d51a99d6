"""Task templates: apply a package of tasks relative to voting day to every region at once.

``apply_template`` creates one task per template item and region (every kelurahan or
every kecamatan the admin may see, or once for the Pemda), with its due date computed
from voting day, its stage, its assignees and its checklist, all in one transaction.

It is written for scale: the tasks, their assignees (the through table) and their
checklist items go in with ``bulk_create`` and the audit rows with
``posko.core.audit.insert_many``, so 57 kelurahan and 83,000 desa cost the same handful
of statements per batch. Notifications are the exception: ``notify.notify`` is called
per assignee (two queries each, and an e-mail after commit). At a Pemda (57 kelurahan ×
a few items) that is a few hundred queries; a national deployment would bulk-create the
Notification rows instead.

Applying twice creates nothing new: the Task unique constraints on
(template_item, election, kelurahan | kecamatan | Pemda) make "already there" well
defined, the existing keys are read inside the transaction after locking the template
row, and the result says how many were created and how many already existed.
An item whose due time has already passed (the template applied late, or the demo's
2024 election replayed today) still gives its tasks, due at once: a task may not be
due before it was created (``rules.check_due``), and a readiness check applied on
H-3 is late, not void. The confirmation page lists these items, the result counts
them, and each such task's description names the template's own due time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from posko.accounts.models import Role, User
from posko.coordination import notify
from posko.coordination.models import (
    Notification,
    Task,
    TaskChecklistItem,
    TaskTemplate,
    TaskTemplateItem,
)
from posko.core import audit, clock
from posko.elections.models import Stage
from posko.regions.models import Kecamatan, Kelurahan

BATCH_SIZE = 2000


def due_at(voting_date: datetime.date, item: TaskTemplateItem) -> datetime.datetime:
    """Voting day + the item's days, at its due time, in the Pemda's time zone
    (settings.TIME_ZONE, Asia/Jakarta by default; WITA/WIT Pemda set theirs)."""
    day = voting_date + datetime.timedelta(days=item.days_from_voting_day)
    due_time = item.due_time
    if isinstance(due_time, str):  # the model default before the row was read back
        due_time = datetime.time.fromisoformat(due_time)
    return datetime.datetime.combine(day, due_time, tzinfo=timezone.get_default_timezone())


def stage_for(stages: list[Stage], day: datetime.date) -> Stage | None:
    """The first stage (``stages`` ordered by start) whose dates contain ``day``."""
    for stage in stages:
        if stage.start_date <= day <= stage.end_date:
            return stage
    return None


def checklist_lines(item: TaskTemplateItem) -> list[str]:
    return [line.strip()[:300] for line in (item.checklist or "").splitlines() if line.strip()]


def _task_url(task: Task) -> str:
    try:
        return task.get_absolute_url()
    except NoReverseMatch:  # the task pages are not wired yet
        return ""


@dataclass
class Region:
    """Where one copy of the template's tasks goes (both None: the whole Pemda)."""

    kecamatan_id: str | None
    kelurahan_id: str | None
    name: str

    def key(self, item_id: int) -> tuple:
        return (item_id, self.kecamatan_id if self.kelurahan_id is None else None, self.kelurahan_id)


def regions_for(template: TaskTemplate, actor) -> list[Region]:
    """Every region of the template's level that ``actor`` may see, in code order."""
    if template.level == TaskTemplate.Level.KELURAHAN:
        return [Region(kec, code, name) for code, kec, name in
                Kelurahan.objects.visible_to(actor).order_by("code").values_list(
                    "code", "kecamatan_id", "name")]
    if template.level == TaskTemplate.Level.KECAMATAN:
        return [Region(code, None, name) for code, name in
                Kecamatan.objects.visible_to(actor).order_by("code").values_list("code", "name")]
    return [Region(None, None, "")]


def _existing_keys(template: TaskTemplate, election) -> set[tuple]:
    rows = Task.objects.filter(election=election, template_item__template=template).values_list(
        "template_item_id", "kecamatan_id", "kelurahan_id")
    return {(item_id, kec if kel is None else None, kel) for item_id, kec, kel in rows}


@dataclass
class ApplyPlan:
    """What applying would do; also the result once applied (``created`` filled in)."""

    template: TaskTemplate
    election: object
    regions: int = 0
    items: int = 0
    to_create: int = 0
    existing: int = 0
    late: int = 0  # of to_create: due at once, their due time has passed
    late_items: list = field(default_factory=list)  # (item, its due time) that has passed
    created: int = 0
    assigned: int = 0
    checklist_items: int = 0

    @property
    def total(self) -> int:
        return self.regions * self.items

    def summary(self) -> str:
        text = _("%(created)s created, %(existing)s already existed") % {
            "created": self.created, "existing": self.existing}
        if self.created and self.late:
            text += "; " + ngettext(
                "%(count)s of them due at once because its due time had passed",
                "%(count)s of them due at once because their due time had passed",
                self.late) % {"count": self.late}
        return text


def _plan(template: TaskTemplate, election, actor, now) -> tuple[ApplyPlan, list]:
    """The plan and the (item, region, intended due time) of every task to create."""
    items = list(template.items.select_related("agency").order_by(
        "days_from_voting_day", "order", "pk"))
    regions = regions_for(template, actor)
    existing = _existing_keys(template, election)
    plan = ApplyPlan(template, election, regions=len(regions), items=len(items))
    wanted = []
    for item in items:
        due = due_at(election.voting_date, item)
        new = [region for region in regions if region.key(item.pk) not in existing]
        plan.existing += len(regions) - len(new)
        if due < now and new:
            plan.late_items.append((item, due))
            plan.late += len(new)
        wanted.extend((item, region, due) for region in new)
    plan.to_create = len(wanted)
    return plan, wanted


def preview(template: TaskTemplate, election, *, actor, now=None) -> ApplyPlan:
    """Count what :func:`apply_template` would create, without writing anything."""
    plan, _wanted = _plan(template, election, actor, now or clock.now())
    return plan


def _operators(template: TaskTemplate, regions_wanted: set[str]) -> dict[str, list[User]]:
    """Active camat/lurah accounts per region code, read in one query."""
    if template.level == TaskTemplate.Level.KELURAHAN:
        users = User.objects.filter(is_active=True, role=Role.KELURAHAN,
                                    kelurahan_id__in=regions_wanted)
        key = "kelurahan_id"
    elif template.level == TaskTemplate.Level.KECAMATAN:
        users = User.objects.filter(is_active=True, role=Role.KECAMATAN,
                                    kecamatan_id__in=regions_wanted)
        key = "kecamatan_id"
    else:
        return {}
    result: dict[str, list[User]] = {}
    for user in users.order_by("username"):
        result.setdefault(getattr(user, key), []).append(user)
    return result


@transaction.atomic
def apply_template(template: TaskTemplate, election, *, actor, now=None) -> ApplyPlan:
    """Create the template's tasks for every region; see the module docstring."""
    now = now or clock.now()
    # Two admins applying at once: the second waits here and then finds the first's tasks.
    TaskTemplate.objects.select_for_update().filter(pk=template.pk).first()
    plan, wanted = _plan(template, election, actor, now)
    if not wanted:
        return plan

    stages = list(Stage.objects.filter(election=election).order_by("start_date", "end_date", "pk"))
    region_codes = {(region.kelurahan_id or region.kecamatan_id) for _i, region, _d in wanted}
    operators = _operators(template, region_codes) if any(
        item.assign_region_operators for item, _r, _d in wanted) else {}

    tasks = []
    for item, region, due in wanted:
        description = item.description
        if due < now:
            late = _("Template due time %(h)s, %(due)s, had passed when the template was applied.") % {
                "h": item.h_label, "due": timezone.localtime(due).strftime("%d-%m-%Y %H:%M")}
            description = f"{description}\n\n{late}".strip()
        tasks.append(Task(
            election=election, title=item.title, description=description,
            agency_id=item.agency_id, kecamatan_id=region.kecamatan_id,
            kelurahan_id=region.kelurahan_id, stage=stage_for(stages, timezone.localtime(due).date()),
            due_at=max(due, now), priority=item.priority, template_item=item,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now, updated_at=now, version=1))
    Task.objects.bulk_create(tasks, batch_size=BATCH_SIZE)
    if any(task.pk is None for task in tasks):  # a backend that returns no ids
        keys = {(t.template_item_id, t.kecamatan_id, t.kelurahan_id): t for t in tasks}
        for row in Task.objects.filter(election=election, template_item__template=template,
                                       created_at=now).values_list(
                "pk", "template_item_id", "kecamatan_id", "kelurahan_id"):
            if row[1:] in keys:
                keys[row[1:]].pk = row[0]

    through = Task.assignees.through
    links, checklist, notices = [], [], []
    for task, (item, region, _due) in zip(tasks, wanted, strict=True):
        if item.assign_region_operators:
            for user in operators.get(region.kelurahan_id or region.kecamatan_id or "", []):
                links.append(through(task_id=task.pk, user_id=user.pk))
                notices.append((task, user, region.name))
        for order, text in enumerate(checklist_lines(item)):
            checklist.append(TaskChecklistItem(task_id=task.pk, text=text, order=order))
    through.objects.bulk_create(links, batch_size=BATCH_SIZE)
    TaskChecklistItem.objects.bulk_create(checklist, batch_size=BATCH_SIZE)

    message = _("from template %(template)s") % {"template": template.name}
    audit.insert_many(Task, "create", (
        (task.pk, str(task), None, audit.snapshot(task), task.kecamatan_id, task.kelurahan_id)
        for task in tasks), actor=actor, message=message)
    plan.created, plan.assigned, plan.checklist_items = len(tasks), len(links), len(checklist)
    audit.record("update", template, actor=actor, message=_(
        "applied to %(election)s: %(summary)s") % {"election": election, "summary": plan.summary()})

    # The same key as services._notify_assigned: a later edit does not notify again.
    for task, user, place in notices:
        notify.notify(
            user, Notification.Kind.ASSIGNED, _("New task: %(title)s") % {"title": task.title},
            key=f"assigned:{task.pk}:{user.pk}", url=_task_url(task), task=task,
            body=_("Due %(due)s. %(place)s") % {
                "due": timezone.localtime(task.due_at).strftime("%d-%m-%Y %H:%M"), "place": place})
    return plan
