"""Retention (issue 16): what the purge of an election anonymises in this module.

Kept: every report (category, place, TPS, dates, state, severity, the description and its
handling: the case itself), every neutrality case (agency, office's place, act, breach type,
status, Bawaslu's finding and recommendation, sanction and its dates), so counts and the
indicators derived from them do not change. Blanked or replaced: a public reporter's name
and contact and the hash of their connection; the GPS position read from a photo of the
evidence (the report's own location stays); the ASN's name ("ASN #<case id>") and position."""

from __future__ import annotations

from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from posko.core import retention
from posko.incidents.models import Evidence, NeutralityCase, Report

ASN_MARK = "ASN #"


def _reports(election_id):
    return Report.objects.filter(election_id=election_id).filter(
        ~Q(reporter_name="") | ~Q(reporter_contact="") | ~Q(client_hash=""))


def _purge_reports(election_id, batch):
    pks = retention.batch_pks(_reports(election_id), batch)
    Report.objects.filter(pk__in=pks).update(reporter_name="", reporter_contact="", client_hash="")
    return len(pks)


def _evidence(election_id):
    return Evidence.objects.filter(report__election_id=election_id).filter(
        Q(latitude__isnull=False) | Q(longitude__isnull=False))


def _purge_evidence(election_id, batch):
    pks = retention.batch_pks(_evidence(election_id), batch)
    Evidence.objects.filter(pk__in=pks).update(latitude=None, longitude=None)
    return len(pks)


def _cases(election_id):
    return NeutralityCase.objects.filter(election_id=election_id).exclude(
        asn_name__startswith=ASN_MARK, asn_position="")


def _purge_cases(election_id, batch):
    pks = retention.batch_pks(_cases(election_id), batch)
    NeutralityCase.objects.filter(pk__in=pks).update(
        asn_name=Concat(Value(ASN_MARK), Cast("pk", CharField())), asn_position="")
    return len(pks)


def register() -> None:
    retention.register("incidents.report", _("Reports from the public"),
                       lambda e: _reports(e).count(), _purge_reports, order=20, model=Report,
                       rows=lambda e: Report.objects.filter(election_id=e),
                       audit_fields=("reporter_name", "reporter_contact", "client_hash"),
                       fields=_("reporter's name and contact, connection hash (the report stays)"))
    retention.register("incidents.evidence", _("Evidence photos"), lambda e: _evidence(e).count(),
                       _purge_evidence, order=21, model=Evidence,
                       rows=lambda e: Evidence.objects.filter(report__election_id=e),
                       audit_fields=("latitude", "longitude"), fields=_("GPS position read from the photo"))
    retention.register("incidents.case", _("ASN neutrality cases"), lambda e: _cases(e).count(),
                       _purge_cases, order=22, model=NeutralityCase,
                       rows=lambda e: NeutralityCase.objects.filter(election_id=e),
                       audit_fields=("asn_name", "asn_position"),
                       fields=_("name and position of the ASN (agency, act and sanction stay)"))
