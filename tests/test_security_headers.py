"""Security headers (issue 16): Referrer-Policy, X-Content-Type-Options, Permissions-Policy,
the Content-Security-Policy (enforced; report-only by choice) with its report endpoint, HSTS on HTTPS only, and
`posko check --deploy` clean with the README's production settings."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from posko.env import ConfigError, csp_directives


def test_every_answer_carries_the_headers(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=(self)" in response["Permissions-Policy"]  # the code scanner, nobody else
    assert "microphone=()" in response["Permissions-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response  # enforced by default
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self';", "object-src 'none'",
                      "frame-ancestors 'none'", "form-action 'self'", "report-uri /csp-report/",
                      "style-src-elem 'self';", "style-src-attr 'unsafe-inline'"):
        assert directive in csp
    assert "unsafe-eval" not in csp and "nonce-" not in csp
    assert "Strict-Transport-Security" not in response  # plain HTTP: never


def test_hsts_on_https(db, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = Client().get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_csp_reports_are_logged(db, caplog):
    body = b'{"csp-report": {"violated-directive": "script-src", "blocked-uri": "inline"}}'
    with caplog.at_level(logging.WARNING, logger="posko.csp"):
        response = Client().post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code == 204
    assert "CSP violation" in caplog.text and "script-src" in caplog.text
    assert Client().get("/csp-report/").status_code == 405


def test_map_tiles_origin_is_allowed_and_a_bad_url_refused():
    images = csp_directives("https://{s}.tiles.example.go.id/{z}/{x}/{y}.png")["img-src"]
    assert images == ["'self'", "data:", "blob:", "https://*.tiles.example.go.id"]
    with pytest.raises(ConfigError, match="POSKO_MAP_TILE_URL='ftp://x/' is not an http"):
        csp_directives("ftp://x/")


def test_check_deploy_is_clean_with_the_readme_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSKO_", "DJANGO_"))}
    env.update(DEBUG="false", SECRET_KEY="k" * 20 + "production-secret-0123456789abcdef",
               ALLOWED_HOSTS="posko.example.go.id", POSKO_BEHIND_HTTPS_PROXY="true",
               POSKO_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
               DJANGO_SETTINGS_MODULE="posko.settings")
    done = subprocess.run([sys.executable, "-m", "posko", "check", "--deploy",
                           "--fail-level", "WARNING"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (1 silenced)." in done.stdout


@pytest.mark.parametrize("value, header", [
    (None, "Content-Security-Policy"), ("true", "Content-Security-Policy"),
    ("false", "Content-Security-Policy-Report-Only")])
def test_csp_is_enforced_unless_report_only_is_chosen(tmp_path, value, header):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSKO_", "DJANGO_"))}
    env.update(DEBUG="true", POSKO_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="posko.settings",
               DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    if value is not None:
        env["POSKO_CSP_ENFORCE"] = value
    code = ("import django; django.setup(); from django.test import RequestFactory; "
            "from django.http import HttpResponse; from csp.middleware import CSPMiddleware; "
            "r = CSPMiddleware(lambda q: HttpResponse())(RequestFactory().get('/')); "
            "print(sorted(h for h in r.headers if 'Security-Policy' in h))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([header])


def test_a_bad_csp_enforce_value_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSKO_", "DJANGO_"))}
    env.update(DEBUG="true", POSKO_DATA_DIR=str(tmp_path), POSKO_CSP_ENFORCE="report",
               DJANGO_SETTINGS_MODULE="posko.settings")
    done = subprocess.run([sys.executable, "-m", "posko", "check"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "POSKO_CSP_ENFORCE='report' is not a boolean" in done.stderr
