"""A new password or a deactivation ends the user's API token and sessions (point E).

An admin's password reset or deactivation revokes every token and session of the user; a
user's own password change revokes their other sessions and their token but keeps the
session they changed it from. Each revocation is one audit row."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from posko.accounts import tokens as api_tokens
from posko.accounts.models import ApiToken, Role
from posko.core.models import AuditEntry
from tests.conftest import PASSWORD

TPS_LIST = reverse("api:tps-list")
PROFILE = reverse("accounts:profile")
NEW_PASSWORD = "kata-sandi-baru-2024"


def signed_in(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    assert client.login(username=username, password=password)
    return client


def token_client(user) -> tuple[ApiToken, APIClient]:
    token, key = api_tokens.create(user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return token, client


def is_signed_in(client: Client) -> bool:
    response = client.get(PROFILE)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
        return False
    assert response.status_code == 200
    return True


def user_data(user, **extra) -> dict:
    data = {"username": user.username, "first_name": user.first_name, "last_name": "",
            "email": "", "phone": "", "role": user.role, "kecamatan": "",
            "kelurahan": user.kelurahan_id or "", "agency": "", "is_active": "on",
            "password": ""}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not False}


def revocations(user) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(user.pk), action="update",
                                          message__startswith="Akses dicabut")
                .values_list("message", flat=True))


def test_admin_password_reset_revokes_token_and_sessions(world, users, personas):
    lurah = users["kelurahan_a"]
    token, api = token_client(lurah)
    browser, phone = signed_in("kelurahan_a"), signed_in("kelurahan_a")
    assert api.get(TPS_LIST).status_code == 200
    assert is_signed_in(browser) and is_signed_in(phone)

    response = personas["admin"].client.post(reverse("accounts:user_edit", args=[lurah.pk]),
                                             user_data(lurah, password=NEW_PASSWORD))
    assert response.status_code == 302

    after = api.get(TPS_LIST)
    assert after.status_code == 401
    assert after.json() == {"detail": "Token tidak valid."}
    assert not is_signed_in(browser) and not is_signed_in(phone)
    assert not ApiToken.objects.filter(user=lurah).exists()
    # Three sessions: the browser, the phone and the personas fixture's client.
    assert revocations(lurah) == [
        "Akses dicabut (kata sandi diganti oleh admin): 1 token API, 3 sesi."]
    assert not is_signed_in(personas["kelurahan_a"].client)
    entry = AuditEntry.objects.get(message__startswith="Akses dicabut")
    assert entry.user == users["admin"]
    # The admin's own session is untouched, and the new password works.
    assert is_signed_in(personas["admin"].client)
    assert is_signed_in(signed_in("kelurahan_a", NEW_PASSWORD))


def test_deactivation_revokes_and_reactivation_does_not_bring_them_back(world, users, personas):
    lurah = users["kelurahan_a"]
    token, api = token_client(lurah)
    browser = signed_in("kelurahan_a")
    admin = personas["admin"].client
    url = reverse("accounts:user_edit", args=[lurah.pk])

    assert admin.post(url, user_data(lurah, is_active=False)).status_code == 302
    assert api.get(TPS_LIST).status_code == 401
    assert not is_signed_in(browser)
    # Two sessions: the browser and the personas fixture's client.
    assert revocations(lurah) == ["Akses dicabut (akun dinonaktifkan): 1 token API, 2 sesi."]

    # Switched on again (say, by mistake): the stolen token and session stay dead.
    assert admin.post(url, user_data(lurah)).status_code == 302
    lurah.refresh_from_db()
    assert lurah.is_active
    assert api.get(TPS_LIST).status_code == 401
    assert not is_signed_in(browser)
    assert is_signed_in(signed_in("kelurahan_a"))


def test_other_changes_by_the_admin_revoke_nothing(world, users, personas):
    lurah = users["kelurahan_a"]
    token, api = token_client(lurah)
    browser = signed_in("kelurahan_a")
    response = personas["admin"].client.post(
        reverse("accounts:user_edit", args=[lurah.pk]),
        user_data(lurah, first_name="Lurah Klojen", role=Role.KELURAHAN))
    assert response.status_code == 302
    assert api.get(TPS_LIST).status_code == 200
    assert is_signed_in(browser)
    assert revocations(lurah) == []


def test_own_password_change_keeps_this_session_only(world, users):
    lurah = users["kelurahan_a"]
    token, api = token_client(lurah)
    here, elsewhere = signed_in("kelurahan_a"), signed_in("kelurahan_a")
    page = here.get(reverse("accounts:password_change"))
    assert page.status_code == 200 and "Ganti kata sandi saya" in page.content.decode()
    assert 'data-testid="password-change"' in here.get(PROFILE).content.decode()

    response = here.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True)
    assert response.status_code == 200
    assert "Kata sandi Anda sudah diganti." in response.content.decode()
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert api.get(TPS_LIST).status_code == 401
    lurah.refresh_from_db()
    assert lurah.check_password(NEW_PASSWORD)
    assert revocations(lurah) == [
        "Akses dicabut (kata sandi diganti oleh penggunanya sendiri): 1 token API, 1 sesi."]
    # Exactly one session of the user is left: the one the change was made from.
    assert Session.objects.count() == 1


@pytest.mark.parametrize("data,field,message", [
    ({"old_password": "salah-sekali", "new_password1": NEW_PASSWORD,
      "new_password2": NEW_PASSWORD}, "old_password",
     "Sandi lama Anda yang dimasukkan salah. Masukkan sekali lagi."),
    ({"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "lain-lagi-2024"},
     "new_password2", "Dua bidang sandi tidak cocok."),
])
def test_refused_password_change_revokes_nothing(world, users, data, field, message):
    lurah = users["kelurahan_a"]
    token, api = token_client(lurah)
    here, elsewhere = signed_in("kelurahan_a"), signed_in("kelurahan_a")
    response = here.post(reverse("accounts:password_change"), data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert is_signed_in(here) and is_signed_in(elsewhere)
    assert api.get(TPS_LIST).status_code == 200
    lurah.refresh_from_db()
    assert lurah.check_password(PASSWORD)
    assert revocations(lurah) == []


def test_password_change_page_needs_a_login(db):
    response = Client().get(reverse("accounts:password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
