"""Voting-day API for field apps.

* ``voting-tps``: ``GET /api/v1/voting/tps/`` the TPS days in scope (``?kelurahan=``,
  ``?state=``); ``GET …/tps/<tps id>/`` one TPS's day with its latest reports and current
  results; ``POST …/tps/<tps id>/report/`` a report (state, officers present, problem);
  ``POST …/tps/<tps id>/results/`` a C.Hasil entry for a contest (stored with its failed
  checks and flags; a second entry from the same source is a correction and needs a
  ``reason``). Both POSTs need an ``Idempotency-Key``. A TPS outside the caller's scope is
  a 404. With ``POSKO_FANOUT=job`` (production) a C.Hasil is answered **202**: it is
  recorded in the inbox with its key's answer in one statement and checked, rolled up and
  reconciled by a job within seconds (``services.inbox``); with ``inline`` (tests) 201 and
  the stored entry.
* ``POST …/tps/<tps id>/photos/`` (multipart: ``contest``, ``source``, ``page``, ``reason``,
  ``device``, ``image``) a photo of a C.Hasil page, with an ``Idempotency-Key`` (its
  fingerprint includes the file's bytes). A second photo of the same page is a new version
  and needs a ``reason``. An ``X-Content-SHA256`` header (the SHA-256 the phone computed) is
  checked against the bytes received: a mismatch is a 422 and nothing is stored. Instead of the
  ``image`` part, ``upload=<id>`` names a completed resumable upload (``core.resumable``, sent
  in chunks): it goes through the same checks and is deleted once the photo is stored.
  The TPS detail lists every photo with its ``sha256`` and the ``url``
  of the served copy (no metadata), and under ``inbox`` the C.Hasil received and not yet
  processed or refused when processed (with ``refusals``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from posko.core import checksums, fanout, resumable
from posko.core.api import ScopedModelSerializer, ScopedSerializer
from posko.core.idempotency import header_parameter, idempotent
from posko.core.submit_once import Once, submit_once
from posko.elections.models import Contest, Tps
from posko.voting import services
from posko.voting.access import visible_tps
from posko.voting.models import (
    Problem,
    Reconciliation,
    ResultPhoto,
    ResultSubmission,
    Source,
    State,
    StatusEvent,
    TpsDay,
    TpsResult,
)
from posko.voting.services import evidence, inbox
from posko.voting.services.results import FIELDS


class EventSerializer(ScopedModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", default=None, read_only=True)

    class Meta:
        model = StatusEvent
        fields = ["id", "state", "problem", "note", "kpps_present", "linmas_present",
                  "happened_at", "recorded_at", "recorded_by", "incident_url"]


class DaySerializer(ScopedModelSerializer):
    tps_number = serializers.IntegerField(source="tps.number", read_only=True)

    class Meta:
        model = TpsDay
        fields = ["tps", "tps_number", "kecamatan", "kelurahan", "state", "state_at", "opened_at",
                  "closed_at", "kpps_present", "linmas_present", "open_problems",
                  "last_report_at", "version"]


class TpsReportSerializer(ScopedSerializer):
    state = serializers.ChoiceField(choices=State.choices, required=False, allow_blank=True,
                                    default="")
    problem = serializers.ChoiceField(choices=Problem.choices, required=False, allow_blank=True,
                                      default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    kpps_present = serializers.IntegerField(required=False, allow_null=True, default=None,
                                            min_value=0, max_value=50)
    linmas_present = serializers.IntegerField(required=False, allow_null=True, default=None,
                                              min_value=0, max_value=50)
    happened_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ResultSerializer(ScopedModelSerializer):
    entered_by = serializers.CharField(source="entered_by.username", default=None, read_only=True)

    class Meta:
        model = TpsResult
        fields = ["id", "tps", "contest", "source", "version", "is_current", *FIELDS, "votes",
                  "status", "checks", "flags", "reason", "entered_at", "entered_by"]
        read_only_fields = fields


class ReconciliationSerializer(ScopedModelSerializer):
    """The three sources of a TPS × contest: agreement, NIST status, differences (field →
    each source's number), the counted entry's id."""

    class Meta:
        model = Reconciliation
        fields = ["contest", "agreement", "status", "differences", "counted", "verified_at",
                  "reason", "version"]
        read_only_fields = fields


class ContestField(serializers.PrimaryKeyRelatedField):
    """A contest by id, from the election's per-process list (no query per submission);
    another election's contest is still read from the database (the service refuses it by
    name)."""

    def to_internal_value(self, data):
        request = self.context.get("request")
        election = getattr(request, "election", None)
        if election is not None and not isinstance(data, bool):
            for contest in services.contests_of(election):
                if str(contest.pk) == str(data):
                    return contest
        return super().to_internal_value(data)


class ResultEntrySerializer(ScopedSerializer):
    """A C.Hasil entry: counts are whole numbers ≥ 0 (text like "12" is read as 12);
    ``votes`` maps each pair's ballot number to its votes."""

    scoped_relations = False  # the contest is a Pemda-wide row, checked by the service

    contest = ContestField(queryset=Contest.objects.all())
    source = serializers.ChoiceField(choices=[Source.PEMDA, Source.SAKSI], default=Source.PEMDA)
    voters_dpt = serializers.IntegerField(min_value=0, max_value=100_000)
    voters_dptb = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    voters_dpk = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    voters_men = serializers.IntegerField(min_value=0, max_value=100_000, required=False,
                                          allow_null=True, default=None)
    voters_women = serializers.IntegerField(min_value=0, max_value=100_000, required=False,
                                            allow_null=True, default=None)
    registered_dptb = serializers.IntegerField(min_value=0, max_value=100_000, required=False,
                                               allow_null=True, default=None)
    registered_dpk = serializers.IntegerField(min_value=0, max_value=100_000, required=False,
                                              allow_null=True, default=None)
    valid = serializers.IntegerField(min_value=0, max_value=100_000)
    invalid = serializers.IntegerField(min_value=0, max_value=100_000)
    ballots_received = serializers.IntegerField(min_value=0, max_value=100_000)
    ballots_used = serializers.IntegerField(min_value=0, max_value=100_000)
    ballots_unused = serializers.IntegerField(min_value=0, max_value=100_000)
    ballots_damaged = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    votes = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100_000),
                                  allow_empty=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_votes(self, value):
        if not all(str(key).isdigit() for key in value):
            raise serializers.ValidationError(_("Give each pair's votes under its ballot number."))
        return {int(key): count for key, count in value.items()}


class SubmissionSerializer(ScopedModelSerializer):
    """A C.Hasil in the inbox: waiting (``processed_at`` null) or refused when processed."""

    class Meta:
        model = ResultSubmission
        fields = ["id", "contest", "source", "received_at", "processed_at", "refusals"]
        read_only_fields = fields


class ReceiptSerializer(serializers.Serializer):
    """The 202 answer to a C.Hasil taken into the inbox (``POSKO_FANOUT=job``)."""

    status = serializers.CharField(help_text="'diterima': recorded, to be checked by a job.")
    detail = serializers.CharField()
    tps = serializers.IntegerField()
    contest = serializers.IntegerField()
    source = serializers.CharField()
    received_at = serializers.DateTimeField()


#: The sources a field app sends (KPU's data is imported, not posted).
FIELD_SOURCES = [Source.PEMDA, Source.SAKSI]


class PhotoSerializer(ScopedModelSerializer):
    """A C.Hasil photo: ``sha256`` of the original as uploaded, ``url`` of the served copy."""

    uploaded_by = serializers.CharField(source="uploaded_by.username", default=None,
                                        read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ResultPhoto
        fields = ["id", "tps", "contest", "source", "page", "version", "is_current", "sha256",
                  "content_type", "size", "reason", "uploaded_at", "uploaded_by", "device", "url"]
        read_only_fields = fields

    def get_url(self, photo) -> str:
        path = reverse("voting:photo", args=[photo.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class PhotoUploadSerializer(ScopedSerializer):
    """A photo of one C.Hasil page (multipart). The file is checked by its content."""

    scoped_relations = False  # the contest is a Pemda-wide row, checked by the service

    contest = ContestField(queryset=Contest.objects.all())
    source = serializers.ChoiceField(choices=FIELD_SOURCES, default=Source.PEMDA)
    page = serializers.IntegerField(min_value=1, max_value=evidence.MAX_PAGE, default=1)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    device = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    image = serializers.FileField(required=False)
    upload = serializers.UUIDField(required=False, help_text=(
        "A completed resumable upload (/api/v1/uploads/) to use instead of an image part."))

    def validate(self, attrs):
        if ("image" in attrs) == ("upload" in attrs):
            raise serializers.ValidationError({"image": [_(
                "Send the photo either as a file or as a completed upload, not both.")
                if "image" in attrs else _("Choose a photo of the C.Hasil page.")]})
        return attrs


def _entry(request) -> dict:
    """A C.Hasil request's fields, validated: ``contest``, ``votes``, ``source``, ``reason``
    and the numbers as ``values`` (the keyword arguments of ``submit_result``)."""
    serializer = ResultEntrySerializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    return {name: values.pop(name) for name in ("contest", "votes", "source", "reason")} | {
        "values": values}


class VotingTpsViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = DaySerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TpsDay.objects.none()
        election = self.request.election
        if election is None:
            return TpsDay.objects.none()
        qs = TpsDay.objects.visible_to(self.request.user).filter(election=election) \
            .select_related("tps").order_by("kelurahan_id", "tps__number")
        if self.request.query_params.get("kelurahan"):
            qs = qs.filter(kelurahan_id=self.request.query_params["kelurahan"])
        if self.request.query_params.get("state") in State.values:
            qs = qs.filter(state=self.request.query_params["state"])
        return qs

    def tps(self, pk) -> Tps:
        election = self.request.election
        # The day along (none before its first report): submit_result's flag "entered
        # before closing" and record_report's optimistic update need no query of their own.
        tps = visible_tps(self.request.user, election.pk, int(pk)) \
            if election is not None else None
        if tps is None:
            raise Http404
        tps.election = election
        day = tps._state.fields_cache.get("day")
        tps.voting_closed_at = day.closed_at if day is not None else None
        return tps

    def retrieve(self, request, pk=None):
        day = services.day_of(self.tps(pk))
        events = StatusEvent.objects.filter(day=day).select_related("recorded_by")[:50] \
            if day.pk else []
        return Response({**DaySerializer(day).data, "tps": int(pk),
                         "events": EventSerializer(events, many=True).data,
                         "results": ResultSerializer(services.current_results(day.tps),
                                                     many=True).data,
                         "reconciliations": ReconciliationSerializer(
                             Reconciliation.objects.filter(tps=day.tps).order_by("contest_id"),
                             many=True).data,
                         "photos": PhotoSerializer(evidence.photos_of(day.tps), many=True,
                                                   context={"request": request}).data,
                         "inbox": SubmissionSerializer([
                             row for row in ResultSubmission.objects.filter(
                                 tps=day.tps, result__isnull=True).order_by("-id")[:20]
                             if row.processed_at is None or row.refusals], many=True).data})

    @extend_schema(parameters=[header_parameter(required=True)],
                   responses={201: ResultSerializer, 202: ReceiptSerializer})
    @action(detail=True, methods=["post"], serializer_class=ResultEntrySerializer)
    def results(self, request, pk=None):
        tps = self.tps(pk)  # another region's TPS: 404 before anything else
        if fanout.inline():
            return idempotent(request, lambda: self._result(request, tps), required=True)
        response = submit_once(request, lambda: self._receive(request, tps), required=True)
        if response.status_code == status.HTTP_202_ACCEPTED and not response.has_header(
                "Idempotent-Replayed"):
            inbox.trigger()  # after the write: the job finds the row
        return response

    def _receive(self, request, tps):
        """The inbox row and its 202 (see ``services.inbox``); nothing written here."""
        entry = _entry(request)
        contest, source = entry["contest"], entry["source"]
        try:
            row = inbox.receive(tps, actor=request.user, election=request.election, **entry)
        except DjangoPermissionDenied:
            raise PermissionDenied(_("You may not report for this TPS.")) from None
        return Once(Response({"status": "diterima", "detail": _(
            "Received. The C.Hasil is checked and counted within a few seconds; the TPS's "
            "voting page shows it."), "tps": tps.pk, "contest": contest.pk, "source": source,
            "received_at": row.received_at}, status=status.HTTP_202_ACCEPTED), [row])

    def _result(self, request, tps):
        try:
            result = services.submit_result(tps, actor=request.user, election=request.election,
                                            **_entry(request))
        except DjangoPermissionDenied:
            raise PermissionDenied(_("You may not report for this TPS.")) from None
        return Response(ResultSerializer(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[header_parameter(required=True), checksums.header_parameter()],
                   request={"multipart/form-data": PhotoUploadSerializer},
                   responses={201: PhotoSerializer, 422: OpenApiResponse(description=_(
                       "The X-Content-SHA256 header does not match the file, or the "
                       "Idempotency-Key was used for another submission."))})
    @action(detail=True, methods=["post"], serializer_class=PhotoUploadSerializer,
            parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        tps = self.tps(pk)  # another region's TPS: 404 before anything else
        # Files written for a photo whose row did not commit (a twin request won the key,
        # the transaction failed) are removed when the request ends.
        with evidence.files_kept_if_saved():
            return idempotent(request, lambda: self._photo(request, tps), required=True)

    def _photo(self, request, tps):
        serializer = PhotoUploadSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "upload" in data:  # sent in chunks: its SHA-256 was checked as it completed
            data["image"] = resumable.take(request.user, data["upload"])
        checksums.verify(request, data["image"])  # the phone's SHA-256: a mismatch is a 422
        try:
            photo = evidence.add_photo(
                tps, data["contest"], actor=request.user, election=request.election,
                source=data["source"], page=data["page"], upload=data["image"],
                reason=data["reason"],
                device=data["device"] or request.META.get("HTTP_USER_AGENT", ""))
        except DjangoPermissionDenied:
            raise PermissionDenied(_("You may not report for this TPS.")) from None
        return Response(PhotoSerializer(photo, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[header_parameter(required=True)])
    @action(detail=True, methods=["post"], serializer_class=TpsReportSerializer)
    def report(self, request, pk=None):
        tps = self.tps(pk)  # another region's TPS: 404 before anything else
        # The common report in one statement (PostgreSQL); else, or when the day moved on
        # since it was read, the general path.
        return submit_once(request, lambda: self._report_once(request, tps), required=True,
                           fallback=lambda: idempotent(request, lambda: self._report(request, tps),
                                                       required=True))

    @staticmethod
    def _reported(request, tps, service):
        """``service`` (record_report or report_once) on the validated report; a refusal of
        the right to report here is a 403."""
        serializer = TpsReportSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            return service(tps, actor=request.user, election=request.election,
                           **serializer.validated_data)
        except DjangoPermissionDenied:
            raise PermissionDenied(_("You may not report for this TPS.")) from None

    def _report_once(self, request, tps):
        planned = self._reported(request, tps, services.report_once)
        if planned is None:
            return None
        day, writes, guard = planned
        return Once(Response(DaySerializer(day).data, status=status.HTTP_201_CREATED), writes,
                    guard)

    def _report(self, request, tps):
        event = self._reported(request, tps, services.record_report)
        return Response(DaySerializer(event.day).data, status=status.HTTP_201_CREATED)


ROUTES: list = [
    ("voting/tps", VotingTpsViewSet, "voting-tps"),
]
HOT_ROUTES = ROUTES  # election night's submissions: matched before other modules' routes
