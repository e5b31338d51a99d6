"""The one-click Desk task for a TPS's missing component (``posko.core.tasks``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from posko.accounts.models import Agency, Role
from posko.core import readiness as registry
from posko.core import tasks


def task_source(tps, key: str) -> str:
    return f"readiness.tps:{tps.pk}:{key}"[:80]


def owner_agency(hint: str):
    if not hint:
        return None
    return (Agency.objects.filter(Q(short_name__iexact=hint) | Q(name__iexact=hint)).first()
            or Agency.objects.filter(Q(short_name__icontains=hint) | Q(name__icontains=hint))
            .order_by("name").first())


def may_create(actor, tps) -> bool:
    return getattr(actor, "is_desk_admin", False) or (
        getattr(actor, "effective_role", None) == Role.KECAMATAN
        and actor.kecamatan_id == tps.kecamatan_id)


def create_component_task(tps, key: str, *, actor, reason: str = ""):
    """A task to the agency owning component ``key`` at ``tps``; an open task created
    earlier for the same TPS and component is returned instead of a second one."""
    if not may_create(actor, tps):
        raise PermissionDenied
    comp = registry.component(key)
    if comp is None:
        raise ValidationError(_("This component is not part of the readiness index."))
    if not tasks.available():
        raise ValidationError(_("Coordination tasks are not available in this installation."))
    source = task_source(tps, key)
    for ref in tasks.tasks_for([source]).get(source, []):
        if not ref.is_done:
            return ref
    agency = owner_agency(comp.owner)
    if agency is None:
        raise ValidationError(_("No agency matches “%(hint)s”, the owner of %(component)s: add "
                                "it under Agencies first.") % {"hint": comp.owner,
                                                               "component": comp.label})
    title = _("Readiness: %(component)s at TPS %(number)s %(kelurahan)s") % {
        "component": comp.label, "number": f"{tps.number:03d}", "kelurahan": tps.kelurahan.name}
    return tasks.create_task(tasks.TaskRequest(
        election=tps.election, title=title[:200], source=source, description=reason,
        agency=agency, kecamatan=tps.kecamatan, kelurahan=tps.kelurahan, tps=tps,
        priority="high"), actor=actor)
