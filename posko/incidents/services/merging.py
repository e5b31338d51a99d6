"""Duplicates and merging: candidates at the same place, category and time window; a merged
report closes with a pointer to the report that survives."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from posko.core import audit, clock, services
from posko.incidents import readiness_component
from posko.incidents.access import can_triage
from posko.incidents.indicators import _derived_changed
from posko.incidents.models import Report, Severity, State
from posko.incidents.services.categories import settings_for
from posko.incidents.services.reports import set_targets


def duplicates(report: Report, queryset=None):
    """Other reports at the same TPS (or, without a TPS, the same kelurahan) and of the same
    category within the election's duplicate window: candidates to merge."""
    conf = settings_for(report.election)
    window = datetime.timedelta(hours=conf.duplicate_window_hours)
    qs = queryset if queryset is not None else Report.objects.all()
    qs = qs.filter(election_id=report.election_id, category_id=report.category_id,
                   merged_into__isnull=True,
                   occurred_at__gte=report.occurred_at - window,
                   occurred_at__lte=report.occurred_at + window).exclude(pk=report.pk).exclude(
        state=State.DITOLAK)
    if report.tps_id:
        qs = qs.filter(tps_id=report.tps_id)
    elif report.kelurahan_id:
        qs = qs.filter(kelurahan_id=report.kelurahan_id)
    else:
        qs = qs.filter(kecamatan_id=report.kecamatan_id, kelurahan__isnull=True)
    return qs.order_by("created_at")


@transaction.atomic
def merge(duplicate: Report, into: Report, *, actor, now=None) -> Report:
    """Merge ``duplicate`` into ``into``: the duplicate is closed with a pointer to the
    report it was merged into; its evidence, comments and reporter stay and are shown on
    the surviving report; its tracking code shows the surviving report's state."""
    now = now or clock.now()
    if not (can_triage(actor, duplicate) and can_triage(actor, into)):
        raise PermissionDenied
    if duplicate.pk == into.pk:
        raise ValidationError(_("A report cannot be merged into itself."))
    if into.merged_into_id:
        raise ValidationError(_("The chosen report was itself merged into %(code)s; merge into "
                                "that one.") % {"code": into.merged_into.code})
    if duplicate.merged_into_id:
        raise ValidationError(_("This report was already merged."))
    if duplicate.election_id != into.election_id:
        raise ValidationError(_("Both reports must belong to the same election."))
    before = audit.snapshot(duplicate)
    # Reports merged earlier into the duplicate now point at the survivor.
    for child in Report.objects.filter(merged_into=duplicate):
        child_before = audit.snapshot(child)
        child.merged_into = into
        services.update(child, actor=actor, before=child_before,
                        message=_("merged into %(code)s") % {"code": into.code})
    duplicate.merged_into = into
    duplicate.state = State.SELESAI
    duplicate.resolved_at = now
    duplicate.resolution = _("Merged into %(code)s.") % {"code": into.code}
    duplicate.updated_at = now
    services.update(duplicate, actor=actor, before=before,
                    message=_("merged into %(code)s") % {"code": into.code})
    if SEVERITY_ORDER.index(duplicate.severity) > SEVERITY_ORDER.index(into.severity):
        into_before = audit.snapshot(into)
        into.severity = duplicate.severity
        set_targets(into, start=into.created_at)
        services.update(into, actor=actor, before=into_before,
                        message=_("severity raised by merging %(code)s") % {"code": duplicate.code})
    audit.record("update", into, actor=actor,
                 message=_("%(code)s merged into this report") % {"code": duplicate.code})
    _derived_changed(duplicate)
    readiness_component.report_changed(duplicate)  # merged: no longer open
    return into


SEVERITY_ORDER = [Severity.RENDAH, Severity.SEDANG, Severity.TINGGI, Severity.KRITIS]


def family(report: Report):
    """The report and every report merged into it (for evidence and reporters)."""
    return Report.objects.filter(Q(pk=report.pk) | Q(merged_into=report))
