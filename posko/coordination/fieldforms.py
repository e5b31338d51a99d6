"""The supervision checklist of the offline field app (``core.field_forms``): a lurah or a
camat ticks the items of a supervision checklist for their region (met, not met, not
applicable), posted to ``/api/v1/checklists/{id}/answers/`` under an
Idempotency-Key. The checklists of the election with their items and the regions the user
answers for are cached on the phone (four queries)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Role
from posko.coordination.models import SupervisionChecklist, SupervisionItem, SupervisionResponse
from posko.core import field_forms as ff
from posko.regions.models import Kecamatan, Kelurahan

WRITERS = (Role.ADMIN, Role.KECAMATAN, Role.KELURAHAN)


def _may_answer(user) -> bool:
    return getattr(user, "effective_role", None) in WRITERS


def _checklists(user, election) -> dict:
    """The election's checklists the user answers (a lurah: the kelurahan-level ones) with
    their items, and the regions the user answers for."""
    lurah = user.effective_role == Role.KELURAHAN
    checklists = SupervisionChecklist.objects.filter(election=election).select_related(
        "stage").prefetch_related(Prefetch("items", queryset=SupervisionItem.objects.order_by(
            "order", "pk"))).order_by("stage__start_date", "title", "pk")
    if lurah:
        checklists = checklists.filter(level=SupervisionChecklist.Level.KELURAHAN)
    choices, items = [], {}
    for checklist in checklists:
        rows = [[item.pk, item.text] for item in checklist.items.all()]
        if not rows:
            continue
        level = _("kelurahan") if checklist.level == "kelurahan" else _("kecamatan")
        choices.append([checklist.pk, f"{checklist.title} ({level})"])
        items[str(checklist.pk)] = rows
    regions = [[k.code, f"Kel. {k.name}"] for k in
               Kelurahan.objects.editable_by(user).order_by("name", "code")]
    if not lurah:
        regions += [[k.code, f"Kec. {k.name}"] for k in
                    Kecamatan.objects.editable_by(user).order_by("name", "code")]
    return {"checklists": choices, "items": items, "regions": regions}


CHECKLIST = ff.FieldForm(
    key="coordination.checklist", label=_("Supervision checklist"), order=50,
    description=_("Tick the items of a supervision checklist for your kelurahan or kecamatan: "
                  "met, not met or not applicable."),
    url=ff.api_url("api:checklist-answers", "checklist"),
    fields=(
        ff.Field("checklist", _("Checklist"), "choice", required=True, options="checklists"),
        ff.Field("region", _("Region"), "choice", required=True, options="regions",
                 help=_("A kelurahan for a kelurahan checklist, a kecamatan for a kecamatan "
                        "checklist.")),
        ff.Field("answers", _("Items"), "checks", required=True, options="items",
                 source="checklist", choices=tuple(SupervisionResponse.Answer.choices)),
    ),
    data=_checklists, visible=_may_answer,
    rejected_help=_("Correct what the message names (the region must match the checklist's "
                    "level) and record the checklist again."))


def register() -> None:
    ff.register_form(CHECKLIST)
