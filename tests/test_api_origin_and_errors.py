"""The API against cross-site posts (point F) and its error bodies in Indonesian (point 8).

F: the anonymous public report API has no session, hence no CSRF token. A page of another
site must not make its visitors' browsers file reports: such requests are refused (403), the
body must be JSON (415 otherwise; files as multipart only with X-Requested-With, which a
form cannot add); apps and curl (no Origin) keep working, and the no-JS HTML form keeps
its own CSRF-protected page. The token login refuses a foreign Origin too; session users
of the API go through DRF's CSRF check.
8: every DRF answer (404, 401, 403, 405, 415, 400) comes in the user's language, and a 404
never names the model."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.crypto import hash_token

from posko.accounts.models import ApiToken
from posko.elections.models import Tps
from posko.incidents.models import Report
from tests.conftest import PASSWORD
from tests.incidents_fixtures import category, jpeg_bytes

PUBLIC = reverse("api:incident-public-submit")
TOKEN = reverse("api:token")
TPS_LIST = reverse("api:tps-list")
CROSS_SITE = "Permintaan yang dikirim dari halaman situs lain tidak diterima di sini."
NOT_JSON = ("Kirim laporan sebagai JSON (Content-Type: application/json), atau bersama berkas "
            "sebagai multipart/form-data dengan header X-Requested-With.")
NOT_FOUND = {"detail": "Data tidak ditemukan."}


def payload(world, **extra) -> dict:
    category("politik_uang")
    return {"category": "politik_uang", "kelurahan": world.kel_a.code, "tps_number": 1,
            "occurred_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
            "title": "Amplop", "description": "Amplop dibagikan di gang sebelah TPS.", **extra}


# --- F: the public report API ------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"HTTP_ORIGIN": "https://jahat.example"},
    {"HTTP_ORIGIN": "null"},
    {"HTTP_SEC_FETCH_SITE": "cross-site"},
    {"HTTP_ORIGIN": "http://testserver.jahat.example"},
])
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_form_encoded_cross_site_post_is_refused(world, client, headers, encoding):
    # What an HTML form on another site sends (its two encodings).
    if encoding == "urlencoded":
        response = client.post(PUBLIC, urlencode(payload(world)),
                               content_type="application/x-www-form-urlencoded", **headers)
    else:
        response = client.post(PUBLIC, payload(world), **headers)
    assert response.status_code == 403
    assert response.json() == {"detail": CROSS_SITE}
    assert not Report.objects.exists()


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_form_encoded_or_text_without_origin_is_415(world, client, content_type):
    response = client.post(PUBLIC, urlencode(payload(world)), content_type=content_type)
    assert response.status_code == 415
    assert response.json() == {"detail": NOT_JSON}
    assert not Report.objects.exists()


def test_multipart_needs_the_app_header(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = SimpleUploadedFile("bukti.jpg", jpeg_bytes(), content_type="image/jpeg")
    plain = client.post(PUBLIC, {**payload(world), "files": [photo]})
    assert plain.status_code == 415 and plain.json() == {"detail": NOT_JSON}
    assert not Report.objects.exists()
    photo.seek(0)
    app = client.post(PUBLIC, {**payload(world), "files": [photo]},
                      HTTP_X_REQUESTED_WITH="PoskoApp")
    assert app.status_code == 201, app.content
    assert Report.objects.get().evidence.count() == 1


@pytest.mark.parametrize("headers", [
    {},  # a mobile app, curl
    {"HTTP_ORIGIN": "http://testserver"},  # a page of Posko itself
    {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-origin"},
    {"HTTP_SEC_FETCH_SITE": "none"},
])
def test_json_from_the_same_site_or_an_app_is_accepted(world, client, headers):
    response = client.post(PUBLIC, payload(world), content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    assert Report.objects.get().code == response.json()["code"]


def test_json_with_a_foreign_origin_is_refused(world, client):
    response = client.post(PUBLIC, payload(world), content_type="application/json",
                           HTTP_ORIGIN="https://jahat.example", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403 and response.json() == {"detail": CROSS_SITE}
    assert not Report.objects.exists()


def test_trusted_origins_are_accepted(world, client, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://lapor.malangkota.go.id", "https://*.jatimprov.go.id"]
    for origin in ("https://lapor.malangkota.go.id", "https://pilkada.jatimprov.go.id"):
        response = client.post(PUBLIC, payload(world, title=origin),
                               content_type="application/json", HTTP_ORIGIN=origin)
        assert response.status_code == 201, (origin, response.content)
    for origin in ("http://lapor.malangkota.go.id", "https://jatimprov.go.id.jahat.example"):
        response = client.post(PUBLIC, payload(world), content_type="application/json",
                               HTTP_ORIGIN=origin)
        assert response.status_code == 403, origin
    assert Report.objects.count() == 2


def test_the_no_js_public_form_still_works_with_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    form_url = reverse("incidents:public_report")
    page = client.get(form_url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"category": category("politik_uang").pk, "kelurahan": world.kel_a.code,
            "tps_number": "1", "title": "Serangan fajar", "website": "",
            "occurred_at": (timezone.localtime() - datetime.timedelta(hours=2))
            .strftime("%Y-%m-%dT%H:%M"),
            "description": "Tim sukses membagikan amplop kepada warga di dekat TPS."}
    assert client.post(form_url, data).status_code == 403  # no token: Django's CSRF refusal
    response = client.post(form_url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Report.objects.count() == 1


def test_token_login_refuses_a_foreign_origin(world, users, client):
    credentials = {"username": "kelurahan_a", "password": PASSWORD}
    refused = client.post(TOKEN, credentials, HTTP_ORIGIN="https://jahat.example")
    assert refused.status_code == 403 and refused.json() == {"detail": CROSS_SITE}
    assert not ApiToken.objects.exists()
    ok = client.post(TOKEN, credentials)  # curl, an app
    assert ok.status_code == 200 and ApiToken.objects.get().digest == hash_token(ok.json()["token"])


def test_session_users_of_the_api_need_the_csrf_token(world, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["kelurahan_a"])
    response = client.post(TPS_LIST, {"kelurahan": world.kel_a.code, "number": 5},
                           content_type="application/json", HTTP_ORIGIN="https://jahat.example")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Pemeriksaan keamanan (CSRF) gagal: muat ulang halaman lalu coba lagi."}
    assert Tps.objects.filter(kelurahan=world.kel_a).count() == 1


# --- 8: error bodies in Indonesian -------------------------------------------------------------

def test_404_of_another_kelurahans_tps_is_indonesian_and_names_no_model(world, personas):
    response = personas["kelurahan_a"].client.get(reverse("api:tps-detail", args=[world.tps_b.pk]))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert "Tps" not in response.content.decode()


@pytest.mark.parametrize("url", [
    "/api/v1/workers/999999/", "/api/v1/tasks/999999/", "/api/v1/laporan/999999/",
    "/api/v1/logistics/shipments/999999/", "/api/v1/vulnerability/actions/999999/",
    "/api/v1/outreach/activities/999999/", "/api/v1/wilayah/kelurahan/35.79.01.2001/",
])
def test_every_api_404_is_the_same_indonesian_sentence(world, personas, url):
    response = personas["kelurahan_a"].client.get(url)
    assert response.status_code == 404 and response.json() == NOT_FOUND


def test_a_404_follows_the_users_language(world, personas):
    client = personas["kelurahan_a"].client
    client.cookies["django_language"] = "en"
    response = client.get(reverse("api:tps-detail", args=[world.tps_b.pk]))
    assert response.json() == {"detail": "Not found."}


def test_other_drf_answers_are_indonesian(world, users, personas, client):
    anonymous = client.get(TPS_LIST)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "Anda belum masuk: kirim token API (header "
                                          "Authorization: Token <token>) atau masuk dulu."}
    bad_token = client.get(TPS_LIST, HTTP_AUTHORIZATION="Token salah")
    assert bad_token.status_code == 401 and bad_token.json() == {"detail": "Token tidak valid."}
    forbidden = personas["pemantau"].client.post(TPS_LIST, {"number": 1},
                                                 content_type="application/json")
    assert forbidden.status_code == 403
    assert forbidden.json() == {"detail": "Anda tidak berhak melakukan tindakan ini."}
    lurah = personas["kelurahan_a"].client
    method = lurah.delete(reverse("api:worker-claim-list"))
    assert method.status_code == 405
    assert method.json() == {"detail": 'Metode "DELETE" tidak diizinkan di alamat ini.'}
    media = lurah.post(TPS_LIST, "number=1", content_type="text/plain")
    assert media.status_code == 415
    assert media.json() == {"detail": 'Jenis isi "text/plain" tidak diterima di sini.'}
    broken = lurah.post(TPS_LIST, "{not json", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json() == {"detail": "Isi permintaan bukan JSON yang valid."}
    required = lurah.post(reverse("api:worker-incident-list"), {}, content_type="application/json")
    assert required.status_code == 400
    assert required.json()["worker"] == ["Wajib diisi."]
    wrong_type = lurah.post(reverse("api:worker-incident-list"), {"worker": [1], "kind": "sakit",
                            "date": "kemarin", "description": "x"},
                            content_type="application/json")
    assert wrong_type.json()["worker"] == ["Jenis data salah: diharapkan id, diterima list."]
    assert wrong_type.json()["date"][0].startswith("Format tanggal salah.")
