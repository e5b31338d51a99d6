"""Exports, and large ones as background jobs. A view that exports a table (every
``ObjectListView``, and others through :class:`TableExportMixin`) hands an export of
``POSKO_EXPORT_BACKGROUND_ROWS`` rows or more to ``core.export`` with the view's dotted path,
its URL arguments, the query string, the requester's id and the election's id; the worker
rebuilds the same view for the same user (same scope, same filter), writes the CSV/XLSX with
progress, and keeps it for the requester to download until it expires.

What a view needs beyond its URL and query string (a purpose and reason checked from a POSTed
form) it puts in ``export_options`` before ``export_response``; the job gives the rebuilt view
the same options. A view whose export is audited differently (personal data) overrides
``audit_export``; the job calls it too."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.test import RequestFactory
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from posko.core import audit, jobs
from posko.core import election as request_election
from posko.core.exports import csv_response, neutralise, xlsx_bytes, xlsx_response

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def csv_bytes(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue().encode("utf-8")


@dataclass
class Table:
    """What an export writes: ``name`` (file name without extension, the audit's object),
    the header, the rows (an iterable, streamed), how many rows, and the filter it was built
    with (for the audit row)."""

    name: str
    header: list
    rows: Iterable
    count: int
    filter: str = ""
    sheet: str = ""


class TableExportMixin:
    """For a view that exports one table (CSV/XLSX): it implements ``export_table(kind)``
    and calls ``self.export_response(kind)``. A table of ``POSKO_EXPORT_BACKGROUND_ROWS``
    rows or more is prepared by a background job in the requester's scope and filter (the
    worker rebuilds the same view for the same user and calls ``export_table`` again); a
    smaller one is answered at once. Both are audited with the row count and the filter."""

    exportable_in_background = True
    # What the export needs beyond the URL and the query string (JSON values), carried to the
    # background job; a view sets it before calling export_response.
    export_options: dict = {}

    def export_table(self, kind: str) -> Table:
        raise NotImplementedError

    def export_filter(self) -> str:
        """The request's query string without ``export``: the filter an audit row names."""
        query = self.request.GET.copy()
        query.pop("export", None)
        return query.urlencode()

    def audit_export(self, table: Table, kind: str, job_id: int | None = None) -> None:
        """The audit row of the export (in the request, or by the job with its id)."""
        _audit(self.request.user, table, kind, job_id)

    def export_response(self, kind: str):
        table = self.export_table(kind)
        if self.exportable_in_background and table.count >= settings.POSKO_EXPORT_BACKGROUND_ROWS:
            job = enqueue_export(self, kind, table.count, table.name)
            messages.info(self.request, _("The export is large: it is prepared in the background. "
                                          "Download it from this page when it is ready."))
            return HttpResponseRedirect(reverse("job_detail", args=[job.pk]))
        self.audit_export(table, kind)
        if kind == "csv":
            return csv_response(f"{table.name}.csv", table.header, table.rows)
        return xlsx_response(f"{table.name}.xlsx", table.sheet or table.name, table.header, table.rows)


def _audit(user, table: Table, kind: str, job_id: int | None = None) -> None:
    message = f"{kind}: " + _("%(count)s rows, filter: %(filter)s") % {
        "count": table.count, "filter": table.filter or "-"}
    if job_id:
        message += " " + _("(background job %(id)s)") % {"id": job_id}
    audit.record("export", actor=user, object_repr=table.name, message=message)


def enqueue_export(view, kind: str, count: int, name: str):
    cls = type(view)
    election = view.request.election
    query = view.request.GET.copy()
    query.pop("export", None)
    return jobs.enqueue("core.export", label=_("Export of %(name)s (%(count)s rows)") % {
        "name": name, "count": count}, user=view.request.user, params={
        "view": f"{cls.__module__}.{cls.__qualname__}", "kwargs": view.kwargs,
        "path": view.request.path, "query": query.urlencode(), "kind": kind,
        "user": view.request.user.pk, "election": election.pk if election else None,
        "options": dict(view.export_options)})


def run_export(ctx: jobs.JobContext, *, view: str, kwargs: dict, path: str, query: str, kind: str,
               user, election, options: dict | None = None) -> str:
    cls = import_string(view)
    if not getattr(cls, "exportable_in_background", False) or kind not in CONTENT_TYPES:
        raise jobs.JobError(_("This export is not available on this server."))
    account = get_user_model().objects.filter(pk=user, is_active=True).first()
    if account is None:
        raise jobs.JobError(_("The account that asked for this export is no longer active."))
    request = RequestFactory().get(f"{path}?{query}" if query else path)
    request.user = account
    request.session = {}
    request.election = request_election.by_pk(election) if election else None
    instance = cls()
    instance.setup(request, **kwargs)
    instance.export_options = dict(options or {})
    try:
        table = instance.export_table(kind)
    except (PermissionDenied, Http404):  # the account lost the right or the place since
        raise jobs.JobError(_("This export is no longer allowed for the account that asked "
                              "for it.")) from None

    def counted(rows):
        for number, row in enumerate(rows, start=1):
            if not number % 1000:
                ctx.progress(_("writing rows"), done=number, total=table.count)
            yield row

    rows = counted(table.rows)
    content = (csv_bytes(table.header, rows) if kind == "csv"
               else xlsx_bytes(table.sheet or table.name, table.header, rows))
    ctx.progress(_("writing rows"), done=table.count, total=table.count, force=True)
    ctx.save_file(f"{table.name}.{kind}", content, CONTENT_TYPES[kind])
    instance.audit_export(table, kind, ctx.job.pk)
    return _("%(count)s rows exported.") % {"count": table.count}
