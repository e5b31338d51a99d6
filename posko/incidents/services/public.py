"""Reports from the public (no account): the keyed client hash and its rate limit, the
tracking code and its status page, the place choices of the public form."""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from posko.core import clock
from posko.core.services import raise_problems, retry_on_collision
from posko.elections.models import Tps
from posko.incidents.models import Report, Severity
from posko.incidents.rules import report_problems
from posko.incidents.services.categories import settings_for
from posko.incidents.services.reports import code_taken, create_new, intake_settings
from posko.regions.models import Kelurahan, Pemda


def normalise_code(code: str) -> str:
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    raw = raw.removeprefix("LP")
    if len(raw) != 8:
        return ""
    return f"LP-{raw[:4]}-{raw[4:]}"


def client_hash(ip: str | None) -> str:
    """A keyed hash of the client's address: enough to count submissions, not to find
    the person."""
    if not ip:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}|incidents|{ip}".encode()).hexdigest()


def public_rate_limited(election, hash_: str, now=None, conf=None) -> bool:
    if not hash_:
        return False
    now = now or clock.now()
    conf = conf or settings_for(election)
    since = now - datetime.timedelta(minutes=conf.public_window_minutes)
    return Report.objects.filter(client_hash=hash_, created_at__gte=since).count() >= conf.public_limit


class RateLimited(ValidationError):
    pass


def submit_public(report: Report, *, ip: str | None, files=(), now=None) -> Report:
    """A report from a member of the public (no account), in one transaction. Refused when
    the same client sent ``public_limit`` reports within the window."""
    return retry_on_collision(
        lambda: _submit_public(report, ip=ip, files=files, now=now), code_taken(report))


def _submit_public(report: Report, *, ip: str | None, files=(), now=None) -> Report:
    now = now or clock.now()
    hash_ = client_hash(ip)
    intake = intake_settings(report.election, report.occurred_at)
    conf = intake[0]
    if public_rate_limited(report.election, hash_, now, conf=conf):
        raise RateLimited(_(
            "Too many reports were sent from your connection in the last %(minutes)s minutes. "
            "Nothing was saved. Please try again later, or call the Desk Pilkada.") % {
            "minutes": conf.public_window_minutes})
    report.source = Report.Source.PUBLIC
    report.client_hash = hash_
    report.reporter_name = (report.reporter_name or "").strip()[:150]
    report.reporter_contact = (report.reporter_contact or "").strip()[:150]
    report.severity = Severity.SEDANG
    report.involves_violence = report.intimidation = False
    raise_problems(report_problems(report, now=now))
    return create_new(report, actor=None, files=files, now=now, intake=intake)


def public_status(code: str) -> Report | None:
    """The report with this tracking code (the merged-into report when merged), or None."""
    code = normalise_code(code)
    if not code:
        return None
    report = Report.objects.select_related("category", "kecamatan", "kelurahan").filter(
        code=code).first()
    if report is not None and report.merged_into_id:
        return report.merged_into
    return report


def kelurahan_choices():
    pemda = Pemda.current()
    if pemda is None:
        return Kelurahan.objects.none()
    return Kelurahan.objects.filter(code__startswith=f"{pemda.code}.").select_related(
        "kecamatan").order_by("kecamatan__name", "name")


def find_tps(election, kelurahan_id: str, number) -> Tps | None:
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return Tps.objects.filter(election=election, kelurahan_id=kelurahan_id, number=number).first()
