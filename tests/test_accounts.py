import pytest
from django.test import Client
from django.urls import reverse

from posko.accounts.models import Role, User
from posko.core.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_and_logout_are_audited(users):
    client = Client()
    response = client.post(reverse("login"), {"username": "kelurahan_a", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="login", username="kelurahan_a").exists()
    client.post(reverse("logout"))
    assert AuditEntry.objects.filter(action="logout", username="kelurahan_a").exists()


def test_failed_logins_are_limited(users):
    client = Client()
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "kelurahan_a", "password": "salah"})
        assert response.status_code == 200
        assert response.context["form"].errors
    assert AuditEntry.objects.filter(action="login_failed", username="kelurahan_a").count() == 5
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("login"), {"username": "kelurahan_a", "password": PASSWORD})
    assert response.status_code == 200
    assert "15" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user is not affected.
    response = client.post(reverse("login"), {"username": "kelurahan_b", "password": PASSWORD})
    assert response.status_code == 302


def _user_data(**extra):
    data = {"username": "lurah.baru", "first_name": "Lurah", "last_name": "Baru", "email": "",
            "phone": "", "role": Role.KELURAHAN, "kecamatan": "", "kelurahan": "", "agency": "",
            "is_active": "on", "password": "kata-sandi-panjang-9"}
    data.update(extra)
    return data


def test_admin_creates_kelurahan_operator(world, personas):
    client = personas["admin"].client
    response = client.post(reverse("accounts:user_add"), _user_data(kelurahan=world.kel_b.code))
    assert response.status_code == 302
    user = User.objects.get(username="lurah.baru")
    assert user.kelurahan_id == world.kel_b.code and user.kecamatan_id == world.kec_b.code
    assert user.check_password("kata-sandi-panjang-9")
    entry = AuditEntry.objects.get(action="create", object_repr="lurah.baru")
    assert "password" not in entry.after and entry.after["kelurahan"] == world.kel_b.code


def test_operator_without_region_is_refused(world, personas):
    client = personas["admin"].client
    response = client.post(reverse("accounts:user_add"), _user_data())
    assert response.status_code == 400
    assert "kelurahan" in response.content.decode().lower()
    assert not User.objects.filter(username="lurah.baru").exists()


def test_user_form_offers_no_kelurahan_outside_pemda(world, personas):
    page = personas["admin"].client.get(reverse("accounts:user_add")).content.decode()
    assert world.kel_a.code in page and world.kel_outside.code not in page
    response = personas["admin"].client.post(reverse("accounts:user_add"),
                                             _user_data(kelurahan=world.kel_outside.code))
    assert response.status_code == 400
    assert not User.objects.filter(username="lurah.baru").exists()


def test_changing_role_clears_other_scope(world, users, personas):
    target = users["kelurahan_a"]
    response = personas["admin"].client.post(
        reverse("accounts:user_edit", args=[target.pk]),
        _user_data(username="kelurahan_a", role=Role.PEMANTAU, kelurahan=world.kel_a.code, password=""))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.PEMANTAU and target.kelurahan_id is None and target.kecamatan_id is None
    assert target.check_password(PASSWORD)  # empty password keeps the old one


def test_profile_links_to_api_tokens(users, personas):
    page = personas["kelurahan_a"].client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:tokens") in page and "Token API saya (0)" in page


def test_admin_grants_personal_data_access_and_it_is_audited(world, users, personas):
    target = users["agency"]
    assert not target.can_see_personal_data
    assert users["admin"].can_see_personal_data  # admins always may
    response = personas["admin"].client.post(
        reverse("accounts:user_edit", args=[target.pk]),
        _user_data(username="agency", role=Role.AGENCY, agency=target.agency_id, password="",
                   personal_data_access="on"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.personal_data_access and target.can_see_personal_data
    entry = AuditEntry.objects.filter(action="update", object_repr="agency").latest("pk")
    assert entry.before["personal_data_access"] is False
    assert entry.after["personal_data_access"] is True
    target.is_active = False
    assert not target.can_see_personal_data
