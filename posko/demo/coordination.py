"""The coordination part of the Kota Malang demo: the Desk Pilkada, its agencies and
divisions, stage owners, task templates, supervision checklists, a few tasks and
answers, and the readiness meeting of 9 Oct 2024 from the seed article.

The public record behind the reference rows is cited in :mod:`posko.demo.desk`.
Invented: the tasks' progress and the checklist answers.

Two kinds of rows, two rules:

* Reference rows (agency contacts, the desk, divisions, stage owners, templates, the
  meeting and its decisions; built by :mod:`posko.demo.desk`) are reset to the demo's
  values on every run, like the TPS.
* The supervision checklists are Posko's standard set (one per stage, each item with its
  responsible agencies; :mod:`posko.coordination.standard_checklists`), seeded like an
  admin would: a checklist already there is left as it is.
* Work rows (the tasks of the applied "H-7 kesiapan" template, their progress, the
  checklist answers and the task made from an unmet answer) are created once, with
  fixed 2024 timestamps, and then left as users change them: practising on the demo
  is not undone by the next ``posko demo``.

Idempotent and deterministic: a second run changes nothing and counts nothing in
``result.other_changes``.
"""

from __future__ import annotations

from posko.coordination.models import SupervisionChecklist, SupervisionResponse, Task, TaskNote
from posko.coordination.services import checklist_seed
from posko.coordination.services import checklists as checklist_services
from posko.coordination.services import templates as template_services
from posko.demo.desk import (
    at_wib,
    build_agencies,
    build_desk,
    build_meeting,
    build_templates,
    set_stage_owners,
)
from posko.demo.timeline import as_of_of
from posko.elections.models import Election
from posko.regions.models import Kelurahan

APPLIED_TEMPLATE = "H-7 kesiapan"
APPLIED_AT = at_wib(2024, 11, 11, 8, 0)  # H-16, before every H-7 due time
# (kecamatan code, item order, status, reason or note, time)
TASK_PROGRESS = (
    ("35.73.02", 0, Task.Status.SELESAI, "Rapat digelar di Kantor Kecamatan Klojen.",
     at_wib(2024, 11, 19, 14, 0)),
    ("35.73.02", 1, Task.Status.BERJALAN, "", at_wib(2024, 11, 18, 9, 0)),
    ("35.73.01", 0, Task.Status.SELESAI, "", at_wib(2024, 11, 20, 11, 0)),
    ("35.73.03", 1, Task.Status.TERHAMBAT,
     "Menunggu data pemetaan TPS rawan dari Bawaslu Kota Malang.", at_wib(2024, 11, 19, 10, 0)),
)

# (kelurahan code, checklist title, item index, answer, finding)
PROPS = "Masa tenang: alat peraga kampanye dibersihkan"  # a standard checklist
ANSWERS_AT = at_wib(2024, 11, 24, 10, 0)
ANSWERS = (
    ("35.73.02.1007", PROPS, 0, "met", ""),
    ("35.73.02.1007", PROPS, 1, "unmet",
     "Dua baliho pasangan calon masih terpasang di simpang Jl. Kawi – Jl. Bromo."),
    ("35.73.02.1007", PROPS, 2, "met", ""),
    ("35.73.01.1011", PROPS, 0, "met", ""),
    ("35.73.01.1011", PROPS, 1, "met", ""),
    ("35.73.01.1011", PROPS, 2, "na", "Tidak ada laporan."),
)
TASK_FROM_ANSWER = ("35.73.02.1007", PROPS, 1, at_wib(2024, 11, 24, 10, 30))


# --- the work rows -------------------------------------------------------------------------------

def _tasks(election, template, admin, as_of) -> int:
    """Apply "H-7 kesiapan" to every kecamatan (once) and record the progress made by the
    demo's moment (a task completed after it is still open)."""
    if APPLIED_AT > as_of:
        return 0
    result = template_services.apply_template(template, election, actor=admin, now=APPLIED_AT)
    if not result.created:
        return 0
    items = list(template.items.order_by("days_from_voting_day", "order", "pk"))
    for kecamatan, index, status, text, when in TASK_PROGRESS:
        if when > as_of:
            continue
        task = Task.objects.filter(election=election, template_item=items[index],
                                   kecamatan_id=kecamatan, kelurahan__isnull=True).first()
        if task is None or task.status != Task.Status.BELUM_MULAI:
            continue
        camat = task.assignees.first() or admin
        Task.objects.filter(pk=task.pk).update(
            status=status, blocked_reason=text if status == Task.Status.TERHAMBAT else "",
            completed_at=when if status == Task.Status.SELESAI else None, updated_at=when,
            version=task.version + 1)
        TaskNote.objects.create(task=task, author=camat, text=text, created_at=when,
                                status_from=Task.Status.BELUM_MULAI, status_to=status)
    return result.created


def _answers(checklists, admin, as_of) -> int:
    changes = 0
    if ANSWERS_AT > as_of:
        return 0
    by_region: dict[tuple[str, str], list] = {}
    for code, title, index, answer, finding in ANSWERS:
        by_region.setdefault((code, title), []).append((index, answer, finding))
    for (code, title), entries in by_region.items():
        checklist = checklists[title]
        region = Kelurahan.objects.filter(code=code).first()
        if region is None:
            continue
        items = list(checklist.items.order_by("order", "pk"))
        answered = set(checklist_services.responses_for(checklist, region).values_list(
            "item_id", flat=True))
        answers = [checklist_services.Answer(items[index], answer, finding)
                   for index, answer, finding in entries if items[index].pk not in answered]
        if answers:
            changes += checklist_services.save_answers(checklist, region, answers, actor=admin,
                                                       now=ANSWERS_AT)
    code, title, index, when = TASK_FROM_ANSWER
    item = checklists[title].items.order_by("order", "pk")[index]
    response = SupervisionResponse.objects.filter(item=item, kelurahan_id=code).first()
    if response is not None and response.answer == "unmet" and response.task_id is None \
            and when <= as_of:
        checklist_services.answer_to_task(response, actor=admin, now=when)
        changes += 1
    return changes


def build_coordination(result) -> None:
    """Build the coordination demo on top of ``data.build_demo``'s election, agencies and
    users (call it after them, inside build_demo's transaction). Adds what it created or
    changed to ``result.other_changes``."""
    election = Election.objects.get(pk=result.election_id)
    admin = next(u for u in result.users if u.username == "admin")
    changes, agencies = build_agencies()
    changes += build_desk(agencies)
    changes += set_stage_owners(election, agencies)
    template_changes, templates = build_templates(agencies)
    changes += template_changes
    seeded = checklist_seed.seed(election, actor=admin)
    changes += seeded.created_checklists + seeded.created_items
    checklists = {c.title: c for c in SupervisionChecklist.objects.filter(election=election)}
    as_of = as_of_of(result)
    changes += _tasks(election, templates[APPLIED_TEMPLATE], admin, as_of)
    changes += _answers(checklists, admin, as_of)
    changes += build_meeting(election, agencies, admin)
    result.other_changes += changes

