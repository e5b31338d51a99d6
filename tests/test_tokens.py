"""Hashed, named, expiring API tokens (issue 16): the key is shown once and never stored,
expired and revoked tokens answer 401, a user revokes their own (another's is a 404), an
admin revokes any, every change is audited, and checking a token stays one query."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from knox.crypto import hash_token
from rest_framework.test import APIClient

from posko.accounts import tokens
from posko.accounts.models import ApiToken
from posko.core import clock
from posko.core.models import AuditEntry
from tests.conftest import PASSWORD

TPS_LIST = reverse("api:tps-list")
MINE = reverse("accounts:tokens")


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def stored_values() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        return repr(cursor.fetchall())


def test_created_on_the_page_shown_once_and_never_stored(world, users, personas):
    client = personas["kelurahan_a"].client
    response = client.post(MINE, {"name": "HP Lurah", "days": "7"})
    assert response.status_code == 200
    key = response.context["new_key"]
    page = response.content.decode()
    assert key in page and "Salin sekarang: token tidak akan ditampilkan lagi." in page
    assert len(key) == 64
    token = ApiToken.objects.get(user=users["kelurahan_a"])
    assert token.name == "HP Lurah" and token.digest == hash_token(key)
    assert key not in stored_values()
    assert token.expiry - token.created == datetime.timedelta(days=7)
    # Shown once: the list afterwards has the name, not the key.
    again = client.get(MINE).content.decode()
    assert "HP Lurah" in again and key not in again
    entry = AuditEntry.objects.get(action="create", object_id=str(token.pk))
    assert entry.user == users["kelurahan_a"] and key not in repr(entry.after)
    assert api(key).get(TPS_LIST).status_code == 200


@pytest.mark.parametrize("data,field,message", [
    ({"name": "", "days": "30"}, "name", "Wajib diisi."),
    ({"name": "x", "days": "0"}, "days", "Pastikan nilai ini lebih besar dari atau sama dengan 1."),
    ({"name": "x", "days": "366"}, "days",
     "Pastikan nilai ini lebih kecil dari atau sama dengan 365."),
])
def test_bad_token_form_creates_nothing(world, personas, data, field, message):
    response = personas["kelurahan_a"].client.post(MINE, data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert not ApiToken.objects.exists()


def test_expired_token_is_refused(world, users):
    token, key = tokens.create(users["kelurahan_a"], name="lama")
    assert api(key).get(TPS_LIST).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expiry=clock.real_now() - datetime.timedelta(seconds=1))
    response = api(key).get(TPS_LIST)
    assert response.status_code == 401
    assert response.json() == {"detail": "Token API ini sudah kedaluwarsa: buat yang baru."}
    assert tokens.purge_expired() == 1 and not ApiToken.objects.exists()


def test_own_revoke_works_and_anothers_is_a_404(world, users, personas):
    mine, my_key = tokens.create(users["kelurahan_a"], name="punyaku")
    theirs, their_key = tokens.create(users["kelurahan_b"], name="punya orang")
    client = personas["kelurahan_a"].client

    refused = client.post(reverse("accounts:token_revoke", args=[theirs.pk]))
    assert refused.status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    assert api(their_key).get(TPS_LIST).status_code == 200

    done = client.post(reverse("accounts:token_revoke", args=[mine.pk]))
    assert done.status_code == 302 and done["Location"] == MINE
    response = api(my_key).get(TPS_LIST)
    assert response.status_code == 401 and response.json() == {"detail": "Token tidak valid."}
    entry = AuditEntry.objects.get(action="delete", object_id=str(mine.pk))
    assert entry.user == users["kelurahan_a"] and entry.object_repr == "kelurahan_a: punyaku"
    assert client.get(reverse("accounts:token_revoke", args=[theirs.pk])).status_code == 405


def test_admin_lists_and_revokes_anyones_token(world, users, personas,
                                                django_assert_max_num_queries):
    theirs, their_key = tokens.create(users["kelurahan_b"], name="HP Lurah B")
    for n in range(5):
        tokens.create(users["kecamatan_a"], name=f"token {n}")
    admin = personas["admin"].client
    with django_assert_max_num_queries(8):
        page = admin.get(reverse("accounts:token_admin"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "HP Lurah B" in body and "kelurahan_b" in body and their_key not in body

    assert personas["kelurahan_a"].client.get(reverse("accounts:token_admin")).status_code == 403
    done = admin.post(reverse("accounts:token_revoke", args=[theirs.pk]))
    assert done.status_code == 302 and done["Location"] == reverse("accounts:token_admin")
    assert api(their_key).get(TPS_LIST).status_code == 401
    entry = AuditEntry.objects.get(action="delete", object_id=str(theirs.pk))
    assert entry.user == users["admin"] and entry.object_repr == "kelurahan_b: HP Lurah B"


def test_one_query_to_check_a_token_and_last_used_at_most_once_a_minute(world, users):
    token, key = tokens.create(users["kelurahan_a"], name="HP")
    client = api(key)
    assert client.get(TPS_LIST).status_code == 200
    token.refresh_from_db()
    first_use = token.last_used
    assert first_use is not None

    with CaptureQueriesContext(connection) as queries:
        assert client.get(TPS_LIST).status_code == 200
    on_tokens = [q["sql"] for q in queries if "accounts_apitoken" in q["sql"]]
    assert len(on_tokens) == 1 and on_tokens[0].lstrip().upper().startswith("SELECT")
    assert 'JOIN "accounts_user"' in on_tokens[0]
    token.refresh_from_db()
    assert token.last_used == first_use

    # A minute later the next request writes the new time once.
    ApiToken.objects.filter(pk=token.pk).update(last_used=first_use - datetime.timedelta(minutes=2))
    assert client.get(TPS_LIST).status_code == 200
    token.refresh_from_db()
    assert token.last_used > first_use - datetime.timedelta(minutes=1)


def test_api_login_gives_a_named_expiring_token(world, users):
    response = APIClient().post(reverse("api:token"), {
        "username": "kelurahan_a", "password": PASSWORD, "name": "Aplikasi TPS"})
    assert response.status_code == 200
    key = response.json()["token"]
    token = ApiToken.objects.get(user=users["kelurahan_a"])
    assert token.name == "Aplikasi TPS" and token.digest == hash_token(key)
    assert response.json()["expiry"].startswith(f"{token.expiry:%Y-%m-%d}")
    assert api(key).get(TPS_LIST).status_code == 200
    # Each login is a token of its own; the first keeps working.
    second = APIClient().post(reverse("api:token"), {"username": "kelurahan_a", "password": PASSWORD})
    assert ApiToken.objects.filter(user=users["kelurahan_a"]).count() == 2
    assert ApiToken.objects.get(digest=hash_token(second.json()["token"])).name == "API login"
    assert api(key).get(TPS_LIST).status_code == 200


def test_drf_plain_text_tokens_are_adopted_hashed_and_deleted(world, users):
    key = "0123456789abcdef0123456789abcdef01234567"  # a DRF key: 40 hex characters
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
                       "created timestamp with time zone, user_id bigint)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)",
                       [key, clock.real_now(), users["kelurahan_a"].pk])
    try:
        assert tokens.adopt_drf_tokens(connection, ApiToken, days=30) == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone() == (0,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get()
    assert token.name == "API token (migrated)" and key not in stored_values()
    assert token.expiry - token.created == datetime.timedelta(days=30)
    assert api(key).get(TPS_LIST).status_code == 200
    assert tokens.adopt_drf_tokens(connection, ApiToken, days=30) == 0  # no table: nothing


def test_token_pages_need_a_login(db):
    response = APIClient().get(MINE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
