"""Two-step login (TOTP) for admins and personal-data users (issue 16): enrolment with a QR
code, the second step at every new login, recovery codes shown once, stored hashed and
good once, an admin's reset, the API login's otp, and all of it audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from posko.accounts import two_factor
from posko.accounts.models import RecoveryCode
from posko.core.models import AuditEntry
from tests.conftest import PASSWORD

STEP = reverse("accounts:two_factor")
HOME = reverse("home")


@pytest.fixture
def required(settings):
    settings.POSKO_REQUIRE_2FA = True


def code_for(device: TOTPDevice, ahead: int = 0) -> str:
    """The code the phone shows (``ahead`` steps later: a code is good once)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=ahead)
    return f"{code:06d}"


def signed_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def enrol(client: Client, user) -> list[str]:
    client.get(STEP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(STEP, {"code": code_for(device), "next": HOME})
    assert response.status_code == 200
    return response.context["recovery_codes"]


def test_an_admin_enrols_before_anything_else(world, users, required):
    client = signed_in("admin")
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == f"{STEP}?next=%2F"
    assert client.get(reverse("api:tps-list")).status_code == 302

    page = client.get(STEP)
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and 'data-testid="manual-key"' in body
    device = TOTPDevice.objects.get(user=users["admin"], confirmed=False)
    assert two_factor.manual_key(device).replace(" ", "") in body.replace(" ", "")

    wrong = client.post(STEP, {"code": "000000"})
    assert wrong.status_code == 400
    assert ("Kode itu salah. Periksa jam di HP Anda dan ketik kode yang sekarang tampil di "
            "aplikasi.") in wrong.context["form"].errors["code"]
    assert not RecoveryCode.objects.exists() and client.get(HOME).status_code == 302
    # django-otp makes the next try wait (1 s after one wrong code, doubling after each).
    throttled = client.post(STEP, {"code": code_for(device)})
    assert throttled.status_code == 400
    assert "Terlalu banyak kode salah. Tunggu 1 detik lalu coba lagi." in \
        throttled.context["form"].errors["code"]
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)

    codes = enrol(client, users["admin"])
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=users["admin"]).values_list("digest", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert client.get(HOME).status_code == 200
    assert AuditEntry.objects.filter(
        object_id=str(users["admin"].pk),
        message="two-step verification enrolled; 10 recovery codes issued").exists()


def test_every_new_login_asks_for_the_code(world, users, required):
    codes = enrol(signed_in("admin"), users["admin"])
    device = TOTPDevice.objects.get(user=users["admin"], confirmed=True)
    client = signed_in("admin")
    assert client.get(HOME).status_code == 302

    wrong = client.post(STEP, {"code": "123456", "next": HOME})
    assert wrong.status_code == 400
    assert "Kode itu salah (atau sudah pernah dipakai)." in wrong.context["form"].errors["code"]
    assert AuditEntry.objects.filter(action="login_failed", message="wrong two-step code").count() == 1
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)

    ok = client.post(STEP, {"code": code_for(device, ahead=1), "next": "/akun/profile/"})
    assert ok.status_code == 302 and ok["Location"] == "/akun/profile/"
    assert client.get(HOME).status_code == 200
    assert AuditEntry.objects.filter(action="login",
                                     message="two-step verification (totp)").count() == 1
    # An address outside Posko is not followed after the step.
    outside = signed_in("admin").post(STEP, {"code": codes[1], "next": "https://evil.example/"})
    assert outside.status_code == 302 and outside["Location"] == HOME


def test_a_recovery_code_works_once(world, users, required):
    codes = enrol(signed_in("admin"), users["admin"])
    client = signed_in("admin")
    ok = client.post(STEP, {"code": codes[0].upper(), "next": HOME})
    assert ok.status_code == 302 and client.get(HOME).status_code == 200
    assert two_factor.unused_recovery_codes(users["admin"]) == 9
    assert AuditEntry.objects.filter(message="two-step recovery code used; 9 left").exists()

    again = signed_in("admin")
    refused = again.post(STEP, {"code": codes[0], "next": HOME})
    assert refused.status_code == 400 and again.get(HOME).status_code == 302


def test_who_needs_it(world, users, required):
    assert signed_in("kelurahan_a").get(HOME).status_code == 200  # no personal-data permission
    lurah = users["kelurahan_a"]
    lurah.personal_data_access = True
    lurah.save()
    assert signed_in("kelurahan_a").get(HOME).status_code == 302


def test_off_by_setting_asks_nobody(world, users, settings):
    settings.POSKO_REQUIRE_2FA = False
    assert signed_in("admin").get(HOME).status_code == 200


def test_an_admin_resets_a_users_device(world, users, required):
    lurah = users["kelurahan_a"]
    lurah.personal_data_access = True
    lurah.save()
    enrol(signed_in("kelurahan_a"), lurah)
    url = reverse("accounts:two_factor_reset", args=[lurah.pk])

    assert signed_in("kecamatan_a").post(url).status_code == 403
    assert TOTPDevice.objects.filter(user=lurah, confirmed=True).exists()

    admin = signed_in("admin")
    enrol(admin, users["admin"])
    done = admin.post(url)
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=lurah).exists()
    assert not RecoveryCode.objects.filter(user=lurah).exists()
    entry = AuditEntry.objects.get(object_id=str(lurah.pk),
                                   message="two-step verification reset by an admin")
    assert entry.user == users["admin"]
    # At the next login the lurah enrols again.
    client = signed_in("kelurahan_a")
    assert client.get(HOME).status_code == 302
    assert 'data-testid="qr"' in client.get(STEP).content.decode()


def test_api_login_needs_the_code_too(world, users, required):
    api = APIClient()
    data = {"username": "admin", "password": PASSWORD}
    not_enrolled = api.post(reverse("api:token"), data)
    assert not_enrolled.status_code == 400
    assert not_enrolled.json()["otp"][0].startswith("Akun Anda wajib memakai verifikasi dua langkah")

    enrol(signed_in("admin"), users["admin"])
    device = TOTPDevice.objects.get(user=users["admin"], confirmed=True)
    missing = api.post(reverse("api:token"), data)
    assert missing.status_code == 400
    assert missing.json() == {"otp": ["Kode itu salah (atau sudah pernah dipakai)."]}
    ok = api.post(reverse("api:token"), {**data, "otp": code_for(device, ahead=1)})
    assert ok.status_code == 200 and len(ok.json()["token"]) == 64
