"""Core's own models, none of them a domain model: the audit log, the bookkeeping of
background jobs (what was asked, by whom, how far it is), of periodic schedules and of the
workers seen alive, the per-process cache's shared counter, and the idempotency keys of
field submissions."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        IMPORT = "import", _("imported")
        EXPORT = "export", _("exported")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logged out")
        VIEW = "view", _("viewed personal data")

    timestamp = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # The log outlives what it mentions: no database constraints on its references
    # (Django still applies SET_NULL), and bulk writes skip per-row checks at commit.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                             db_constraint=False, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("user"))
    username = models.CharField(_("username"), max_length=150, blank=True)
    # Indexed through the composite indexes in Meta (they start with these columns).
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL,
                                     db_index=False, db_constraint=False, related_name="+",
                                     verbose_name=_("object type"))
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    kecamatan_code = models.CharField(_("kecamatan"), max_length=8, blank=True)
    kelurahan_code = models.CharField(_("kelurahan"), max_length=13, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object"),
            models.Index(fields=["action", "username", "timestamp"], name="audit_login"),
            models.Index(fields=["action", "ip", "timestamp"], name="audit_login_ip"),
        ]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr}"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs."""
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class Job(models.Model):
    """One piece of background work asked for by a user or a schedule. The work itself runs
    through Django's task API (``core.jobs.run_job`` with this row's id); this row is what the
    user sees: status, progress, the result file and its expiry, the error."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=60)
    label = models.CharField(_("job"), max_length=200)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     db_constraint=False, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("requested by"))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # The requester's language: the job's messages and files are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    phase = models.CharField(_("phase"), max_length=60, blank=True)
    done_count = models.PositiveIntegerField(_("done"), default=0)
    total_count = models.PositiveIntegerField(_("total"), null=True, blank=True)
    progress = models.JSONField(_("progress"), default=dict, blank=True)
    message = models.TextField(_("result"), blank=True)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result data"), null=True, blank=True)
    file_path = models.CharField(_("file"), max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("file type"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("file expires at"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [models.Index(fields=["status", "created_at"], name="job_status")]

    def __str__(self):
        return self.label

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total_count:
            return None
        return min(100, round(100 * self.done_count / self.total_count))


class Schedule(models.Model):
    """When a periodic job is next due. Claimed with one conditional UPDATE, so with several
    workers each run happens once."""

    key = models.CharField(_("schedule"), max_length=60, primary_key=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_worker = models.CharField(_("worker"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self):
        return self.key


class WorkerBeat(models.Model):
    """A worker process's heartbeat: the beranda warns when none was seen recently."""

    worker = models.CharField(_("worker"), max_length=100, primary_key=True)
    backend = models.CharField(_("queue"), max_length=20)
    started_at = models.DateTimeField(_("started at"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self):
        return self.worker


class CacheGeneration(models.Model):
    """One row: bumped whenever a row that processes cache (``core.constants``) changes, so
    every process drops its cached copies within seconds."""

    value = models.BigIntegerField(_("generation"), default=0)

    class Meta:
        verbose_name = _("cache generation")
        verbose_name_plural = _("cache generations")

    def __str__(self):
        return str(self.value)


class SimulatedClock(models.Model):
    """At most one row: a demo or training instance runs on a simulated time, the real time
    plus this offset (``core.clock``). No row: the real time (production)."""

    offset_seconds = models.BigIntegerField(_("offset (seconds)"))
    as_of = models.DateTimeField(_("simulated time when set"))
    set_at = models.DateTimeField(_("real time when set"))

    class Meta:
        verbose_name = _("simulated clock")
        verbose_name_plural = _("simulated clocks")

    def __str__(self):
        return str(self.as_of)


class IdempotencyKey(models.Model):
    """A field submission's ``Idempotency-Key`` and the answer it got: the same key from the
    same user gets the same answer again, never a second record (``core.idempotency``).
    Written in the same transaction as the submission itself."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    key = models.UUIDField(_("idempotency key"))
    endpoint = models.CharField(_("endpoint"), max_length=200)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"))
    response = models.TextField(_("response"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_key")]

    def __str__(self):
        return str(self.key)


class UploadSession(models.Model):
    """A file sent in chunks (``core.resumable``): its announced size and SHA-256, how many
    bytes arrived so far; the bytes wait in a private file until a form uses the upload."""

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    offset = models.PositiveBigIntegerField(_("bytes received"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("resumable upload")
        verbose_name_plural = _("resumable uploads")

    def __str__(self):
        return f"{self.name} ({self.offset}/{self.size})"

    @property
    def complete(self) -> bool:
        return self.offset == self.size
