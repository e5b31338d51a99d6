"""Retention (issue 16): what the purge of an election anonymises in this module.

Kept: every report (category, place, TPS, dates, state, severity, flags: the case itself),
every neutrality case (agency, office's place, breach type, status, sanction and its dates),
every evidence row with its served copy (no metadata) and the SHA-256 of the original, so
counts and the indicators derived from them do not change. Blanked or replaced: a public
reporter's name and contact and the hash of their connection; the GPS position read from a
photo of the evidence (the report's own location stays); the ASN's name ("ASN #<case id>")
and position. Deleted from storage: the originals of the evidence files (with their GPS,
device and author metadata). Free text that may name a person is replaced by
``[dihapus: retensi]``: a report's title, description and location details, internal
comments, the evidence files' own names, and a case's account of the act, Bawaslu's finding and recommendation and the
reason for a lighter sanction."""

from __future__ import annotations

from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from posko.core import retention
from posko.incidents.models import Comment, Evidence, NeutralityCase, Report

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


_evidence_files = retention.file_source(
    Evidence, lambda e: Evidence.objects.filter(report__election_id=e), "original")
_evidence_names = retention.text_source(
    Evidence, lambda e: Evidence.objects.filter(report__election_id=e), ("original_name",))
REPORT_TEXTS = ("title", "description", "location_note")
_report_texts = retention.text_source(Report, lambda e: Report.objects.filter(election_id=e),
                                      REPORT_TEXTS)
_comment_texts = retention.text_source(
    Comment, lambda e: Comment.objects.filter(report__election_id=e), ("text",))
CASE_TEXTS = ("act", "bawaslu_finding", "bawaslu_recommendation", "lighter_sanction_reason")
_case_texts = retention.text_source(
    NeutralityCase, lambda e: NeutralityCase.objects.filter(election_id=e), CASE_TEXTS)


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
    retention.register("incidents.evidence_file", _("Evidence files as received"),
                       *_evidence_files, order=23, unit="files",
                       fields=_("the original file with its metadata (the copy without metadata "
                                "and the SHA-256 stay)"))
    retention.register("incidents.evidence_name", _("Evidence file names"), *_evidence_names,
                       order=23, unit="texts", model=Evidence,
                       rows=lambda e: Evidence.objects.filter(report__election_id=e),
                       audit_fields=("file",),
                       fields=_("the name the file had on the sender's device"))
    retention.register("incidents.report_text", _("Report texts"), *_report_texts, order=24,
                       unit="texts", model=Report,
                       rows=lambda e: Report.objects.filter(election_id=e),
                       audit_fields=REPORT_TEXTS,
                       fields=_("title, description, location details (category, place, dates "
                                "and state stay)"))
    retention.register("incidents.comment_text", _("Internal comments"), *_comment_texts,
                       order=25, unit="texts", fields=_("comment text (author and time stay)"))
    retention.register("incidents.case_text", _("Neutrality case texts"), *_case_texts,
                       order=26, unit="texts", model=NeutralityCase,
                       rows=lambda e: NeutralityCase.objects.filter(election_id=e),
                       audit_fields=CASE_TEXTS,
                       fields=_("the act, Bawaslu's finding and recommendation, the reason for a "
                                "lighter sanction (breach type and sanction stay)"))
