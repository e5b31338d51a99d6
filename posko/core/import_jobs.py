"""Large imports as background jobs. The import page stores the upload under
``POSKO_DATA_DIR/jobs/uploads`` and queues ``core.import`` with the importer's dotted path
and its ids (``Importer.job_params``); the worker rebuilds the importer
(``Importer.from_job``), runs it with progress (rows checked, then writing), keeps the same
"Row N, column X" report on the job, and deletes the upload. All or nothing, as in the
request: a worker killed mid-import leaves nothing (one transaction)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from posko.core import jobs
from posko.core.importer import Importer

PHASES = {"checking": gettext_noop("checking rows"), "writing": gettext_noop("saving")}


def wants_background(importer: Importer, size: int) -> bool:
    return size >= settings.POSKO_IMPORT_BACKGROUND_BYTES and importer.job_params() is not None


def enqueue_import(importer: Importer, data: bytes, filename: str, *, user, label: str):
    folder = jobs.jobs_dir() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.upload"
    path.write_bytes(data)
    cls = type(importer)
    return jobs.enqueue("core.import", label=label, user=user, params={
        "importer": f"{cls.__module__}.{cls.__qualname__}", "params": importer.job_params(),
        "actor": getattr(user, "pk", None), "path": str(path), "filename": filename})


def run_import(ctx: jobs.JobContext, *, importer: str, params: dict, actor, path: str,
               filename: str) -> str:
    cls = import_string(importer)
    if not (isinstance(cls, type) and issubclass(cls, Importer)):
        raise jobs.JobError(_("This kind of import is not available on this server."))
    upload = Path(path)
    if not upload.is_file():
        raise jobs.JobError(_("The uploaded file is no longer on the server: upload it again."))
    user = get_user_model().objects.filter(pk=actor).first() if actor else None
    instance = cls.from_job(actor=user, **params)
    instance.on_progress = lambda phase, done: ctx.progress(
        _(PHASES.get(phase, phase)), done=done, force=phase == "writing")
    try:
        result = instance.run(upload.read_bytes(), filename,
                              time_limit=settings.POSKO_JOB_IMPORT_TIME_LIMIT)
    finally:
        upload.unlink(missing_ok=True)
    ctx.job.result = result.as_dict()
    if result.file_error:
        raise jobs.JobError(_("Nothing was imported. %(error)s") % {"error": result.file_error})
    if result.errors:
        raise jobs.JobError(_("Nothing was imported: %(count)s problems in %(file)s. Fix them and "
                              "upload the file again.") % {"count": len(result.errors), "file": filename})
    return _("Import of %(file)s finished: %(summary)s.") % {"file": filename,
                                                            "summary": result.summary()}
