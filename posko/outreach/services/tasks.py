"""The early warning's follow-up as a Desk task (``posko.core.tasks``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from posko.accounts.models import Role
from posko.core import tasks
from posko.regions.models import Kelurahan

# --- early warning → coordination task ---------------------------------------------------

def task_source(election, kelurahan_code: str) -> str:
    return f"outreach.kelurahan:{election.pk}:{kelurahan_code}"


def create_followup_task(election, kelurahan: Kelurahan, *, agency, actor, note: str = "",
                         reach: str = "", history: str = ""):
    """Extra outreach for an under-covered kelurahan as a coordination task."""

    if not getattr(actor, "is_desk_admin", False) and not (
            getattr(actor, "effective_role", None) == Role.KECAMATAN
            and actor.kecamatan_id == kelurahan.kecamatan_id):
        raise PermissionDenied
    if not tasks.available():
        raise ValidationError(_("Coordination tasks are not available in this installation."))
    title = _("Extra outreach: %(kind)s %(name)s") % {"kind": kelurahan.kind_label,
                                                      "name": kelurahan.name}
    description = "\n".join(filter(None, [
        _("Low outreach coverage (%(reach)s per 1,000 voters) and low historical turnout "
          "(%(history)s).") % {"reach": reach or "0", "history": history or "—"},
        note.strip()]))
    return tasks.create_task(tasks.TaskRequest(
        election=election, title=title, source=task_source(election, kelurahan.code),
        description=description, agency=agency, kecamatan=kelurahan.kecamatan,
        kelurahan=kelurahan, priority="high"), actor=actor)
