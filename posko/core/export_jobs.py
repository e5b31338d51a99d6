"""Large list exports as background jobs. ``ObjectListView`` hands an export of
``POSKO_EXPORT_BACKGROUND_ROWS`` rows or more to ``core.export`` with the view's dotted path,
its URL arguments, the query string, the requester's id and the election's id; the worker
rebuilds the same view for the same user (same scope, same filter), writes the CSV/XLSX with
progress, and keeps it for the requester to download until it expires."""

from __future__ import annotations

import csv
import io

from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from posko.core import audit, jobs
from posko.core import election as request_election
from posko.core.exports import neutralise, xlsx_bytes

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


def enqueue_export(view, kind: str, count: int):
    cls = type(view)
    election = view.request.election
    return jobs.enqueue("core.export", label=_("Export of %(name)s (%(count)s rows)") % {
        "name": view.export_name, "count": count}, user=view.request.user, params={
        "view": f"{cls.__module__}.{cls.__qualname__}", "kwargs": view.kwargs,
        "path": view.request.path, "query": view.request.GET.urlencode(), "kind": kind,
        "user": view.request.user.pk, "election": election.pk if election else None})


def run_export(ctx: jobs.JobContext, *, view: str, kwargs: dict, path: str, query: str, kind: str,
               user, election) -> str:
    cls = import_string(view)
    if not getattr(cls, "exportable_in_background", False) or kind not in CONTENT_TYPES:
        raise jobs.JobError(_("This export is not available on this server."))
    account = get_user_model().objects.filter(pk=user, is_active=True).first()
    if account is None:
        raise jobs.JobError(_("The account that asked for this export is no longer active."))
    request = RequestFactory().get(f"{path}?{query}" if query else path)
    request.GET = request.GET.copy()
    request.GET.pop("export", None)
    request.user = account
    request.session = {}
    request.election = request_election.by_pk(election) if election else None
    instance = cls()
    instance.setup(request, **kwargs)
    filterset = instance.get_filterset()
    queryset = filterset.qs if filterset.is_valid() else instance.get_queryset().none()
    total = queryset.count()

    def counted(rows):
        for number, row in enumerate(rows, start=1):
            if not number % 1000:
                ctx.progress(_("writing rows"), done=number, total=total)
            yield row

    rows = counted(instance.export_rows(queryset))
    header = instance.export_header()
    content = csv_bytes(header, rows) if kind == "csv" else xlsx_bytes(instance.export_name, header, rows)
    ctx.progress(_("writing rows"), done=total, total=total, force=True)
    ctx.save_file(f"{instance.export_name}.{kind}", content, CONTENT_TYPES[kind])
    audit.record("export", actor=account, object_repr=instance.export_name,
                 message=f"{kind}: " + _("%(count)s rows, filter: %(filter)s") % {
                     "count": total, "filter": query or "-"} + " " + _("(background job %(id)s)") % {
                     "id": ctx.job.pk})
    return _("%(count)s rows exported.") % {"count": total}
