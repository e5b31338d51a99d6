"""Personal data everywhere (issue 16), by enumeration rather than by example:

- every export reachable by ``?export=csv|xlsx`` on a route without URL arguments (every
  ``ObjectListView``, the case list, the roll-ups…) is requested as the Desk admin: none may
  carry a personal value in clear, and each writes an ``export`` audit row naming its row count;
- every export view with personal columns in clear (``personal_export`` on the view class,
  found by walking the URLconf) is exercised with its purpose and reason: one audit row with
  the row count and the purpose; without a reason, no file and no row;
- every public page and API answer (anonymous) is rendered with demo-like data and may show
  no personal value at all."""

from __future__ import annotations

import datetime
import inspect
import io
import zipfile

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from posko.core.models import AuditEntry
from posko.incidents import services as incident_services
from posko.incidents.models import NeutralityCase, Report
from tests.incidents_fixtures import category
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db

REASON = "Rekap honor KPPS untuk BPKAD, surat 900/77/2024"


def _walk(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, f"{namespace}{entry.namespace}:" if entry.namespace
                             else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _view_class(entry):
    return getattr(entry.callback, "view_class", None) or getattr(entry.callback, "cls", None)


def _exports(entry) -> bool:
    """Whether the route's view (or a class it builds on) answers ``?export=``."""
    cls = _view_class(entry)
    return cls is not None and any(
        '"export"' in inspect.getsource(k) for k in cls.__mro__
        if k.__module__.startswith("posko."))


@pytest.fixture
def data(world, users):
    """A worker, a public report and a neutrality case with recognisable personal values."""
    from posko.accounts.models import Agency

    worker = make_worker(users["admin"], world.tps_a, name="Siti Aminah",
                         phone="081399887766", address="Jl. Melati Indah 4, RT 02/RW 05")
    report = Report(election=world.election, category=category("politik_uang"), tps=world.tps_a,
                    title="Amplop", description="Amplop dibagikan di dekat TPS.",
                    occurred_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
                    reporter_name="Rahmat Hidayat", reporter_contact="085700001234")
    incident_services.submit_public(report, ip="10.9.9.6")
    case = NeutralityCase.objects.create(
        election=world.election, agency=Agency.objects.get(short_name="Dinkes"),
        asn_name="Dewi Lestari", act="Kampanye di medsos", occurred_on=datetime.date(2024, 10, 1),
        breach_type="disiplin")
    clear = {"NIK": worker.nik, "phone": worker.phone, "address": "Melati Indah",
             "reporter": "Rahmat", "contact": "085700001234", "ASN": "Dewi Lestari"}
    return worker, report, case, clear


def _text(response) -> str:
    content = (b"".join(response.streaming_content) if response.streaming
               else response.content)
    if content[:2] == b"PK":  # XLSX: every part's text
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace")
                            for n in archive.namelist())
    return content.decode("utf-8-sig", "replace")


def _leaks(text: str, clear: dict) -> list[str]:
    return [f"{kind} ({value})" for kind, value in clear.items() if value in text]


# Exports that are not audited: none (every export writes its row count).
UNAUDITED: set[str] = set()


def test_every_plain_export_is_masked_and_audited_with_its_row_count(personas, data):
    client = personas["admin"].client
    *_objects, clear = data
    checked, problems = [], []
    for name, entry in _walk():
        if entry.pattern.regex.groupindex or name.startswith("api:") or not _exports(entry):
            continue
        for kind in ("csv", "xlsx"):
            before = AuditEntry.objects.filter(action="export").count()
            response = client.get(reverse(name), {"export": kind})
            disposition = response.get("Content-Disposition", "")
            if (response.status_code != 200 or "attachment" not in disposition
                    or not disposition.rstrip('"').endswith(f".{kind}")):
                continue  # no export here, or a file of its own kind (a PDF)
            checked.append(f"{name}?export={kind}")
            leaks = _leaks(_text(response), clear)
            if leaks:
                problems.append(f"{name} {kind}: personal data in clear: {leaks}")
            rows = AuditEntry.objects.filter(action="export").order_by("pk")[before:]
            entries = list(rows)
            if name in UNAUDITED:
                continue
            if len(entries) != 1:
                problems.append(f"{name} {kind}: {len(entries)} export audit rows")
            elif not ((entries[0].after or {}).get("rows") is not None
                      or " rows" in entries[0].message or " baris" in entries[0].message):
                problems.append(f"{name} {kind}: the audit row has no row count")
    assert not problems, "\n".join(problems)
    # The enumeration found the exports that carry names of people (it cannot pass empty).
    assert {"workers:worker_list?export=csv", "incidents:case_list?export=csv",
            "incidents:report_list?export=xlsx"} <= set(checked)


# Per export view with personal columns in clear: the POST that asks for it with a purpose
# and a reason. A view declaring ``personal_export`` without a recipe here fails the test.
RECIPES = {
    "workers:worker_export": {"personal": "on", "purpose": "honorarium", "reason": REASON,
                              "format": "csv"},
    "workers:bpjs_export": {"reason": REASON},
}


def test_every_export_with_personal_columns_records_rows_and_purpose(personas, data):
    worker, *_rest, clear = data
    client = personas["admin"].client
    found = {name for name, entry in _walk() if getattr(_view_class(entry), "personal_export",
                                                         None)}
    assert found == set(RECIPES), "declare and test each export with personal data"
    for name, body in RECIPES.items():
        url = reverse(name)
        refused = client.post(url, {**body, "reason": "singkat"})
        assert refused.status_code == 400 and worker.nik not in refused.content.decode()
        assert not AuditEntry.objects.filter(action="export").exists(), name
        response = client.post(url, body)
        assert response.status_code == 200 and response["Cache-Control"] == "no-store", name
        assert worker.nik in _text(response), name
        entry = AuditEntry.objects.filter(action="export").get()
        assert entry.after["rows"] == 1 and entry.after["purpose"] and \
            entry.after["reason"] == REASON, (name, entry.after)
        assert "NIK" in entry.after["data"], name
        # Without the permission: no form, no file, no row.
        assert personas["kelurahan_a"].client.post(url, body).status_code == 403, name
        assert AuditEntry.objects.filter(action="export").count() == 1
        entry.delete()


def test_public_pages_and_api_answers_show_no_personal_data(world, data):
    worker, report, case, clear = data
    clear = {**clear, "worker's name": "Siti Aminah", "ASN masked": "D*** L******"}
    anonymous = Client()
    pages = [reverse("login"), reverse("incidents:public_report"),
             reverse("incidents:public_status"),
             reverse("incidents:public_status") + f"?kode={report.code}",
             reverse("incidents:public_status") + f"?kode={report.code}&baru=1",
             reverse("api:incident-public-status", args=[report.code]),
             reverse("api:api-root"), reverse("api:schema"), reverse("api:docs")]
    # Every route without URL arguments, as the public: a login redirect or a public page.
    pages += [reverse(name) for name, entry in _walk()
              if not entry.pattern.regex.groupindex and name not in ("logout", "set_language")]
    problems = []
    for url in pages:
        response = anonymous.get(url)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
            continue
        leaks = _leaks(_text(response), clear)
        if leaks:
            problems.append(f"{url}: {leaks}")
    status = anonymous.get(reverse("api:incident-public-status", args=[report.code]))
    assert status.status_code == 200 and report.code in status.content.decode()
    assert not problems, "\n".join(problems)
