"""Run by tests/test_shell_registry.py in a fresh interpreter: Posko with one domain module
removed from INSTALLED_APPS (``POSKO_TEST_WITHOUT``). Migrates an in-memory database, then
builds the URLconf, renders the beranda and the login page, and reads the API root and
schema. Prints one JSON line with what it saw."""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ["DATABASE_URL"] = "sqlite:///:memory:"
removed = os.environ["POSKO_TEST_WITHOUT"]

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.ALLOWED_HOSTS = ["testserver"]
settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS
                           if app not in (f"posko.{removed}", "posko.demo")]
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from posko.accounts.models import Role, User  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
call_command("check", fail_level="ERROR")
namespaces = sorted(get_resolver().namespace_dict)
admin = User.objects.create_user("admin", password="x", role=Role.ADMIN)
client = Client()
login = client.get("/masuk/")
client.force_login(admin)
home = client.get("/")
api_root = client.get("/api/v1/")
schema = client.get("/api/v1/schema/")
print(json.dumps({
    "namespaces": namespaces,
    "login": login.status_code,
    "home": home.status_code,
    "home_html": home.content.decode(),
    "login_html": login.content.decode(),
    "api_root": api_root.status_code,
    "api_keys": sorted(api_root.json()) if api_root.status_code == 200 else [],
    "schema": schema.status_code,
}))
sys.stdout.flush()
