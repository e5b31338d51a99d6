"""Posko settings. Every value a deployment may change comes from the environment
(see the configuration table in README.md); bad values are refused at start-up."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from posko.core.schema import ENUM_NAME_OVERRIDES
from posko.env import (
    ConfigError,
    csp_directives,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
    env_timezone,
    env_url,
    parse_database_url,
    persisted_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("POSKO_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY (or SECRET_KEY_FILE), "
            "or set DEBUG=true for development."
        )
    SECRET_KEY = persisted_secret_key(DATA_DIR)
elif len(SECRET_KEY) < 32:
    raise ConfigError("SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS is required when DEBUG is off (e.g. posko.malangkota.go.id).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'posko.sqlite3'}")
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "posko.core",
    "posko.regions",
    "posko.accounts",
    "posko.elections",
    "posko.coordination",
    "posko.logistics",
    "posko.vulnerability",
    "posko.workers",
    "posko.incidents",
    "posko.outreach",
    "posko.voting",
    "posko.readiness",
    "posko.portal",
    "posko.sms",
    "posko.fieldapp",
    "posko.demo",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "posko.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "posko.core.middleware.LanguageMiddleware",
    "posko.core.middleware.NullCharacterMiddleware",  # NUL in path/query: 400, not 500
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "posko.accounts.middleware.TwoFactorMiddleware",
    "posko.core.middleware.RequestContextMiddleware",
    "posko.core.election.ElectionMiddleware",
]

ROOT_URLCONF = "posko.urls"
WSGI_APPLICATION = "posko.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "posko.regions.context_processors.posko",
                "posko.core.shell.context",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins allowed per username or per address within the window.
LOGIN_MAX_FAILURES = env_int("POSKO_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("POSKO_LOGIN_FAILURE_WINDOW", 15, minimum=1)

LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "id", ["id", "en"])
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True
# Numbers are grouped only where a template asks (intcomma): ids in attributes, hidden
# inputs and URLs must never become "7.131".
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the apps, no collectstatic needed
MEDIA_ROOT = DATA_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Largest attachment or photo (bytes).
POSKO_ATTACHMENT_MAX_BYTES = env_int("POSKO_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Largest photo in pixels (width x height), read from its header before it is decoded: a
# small file can unpack to gigabytes. 60 million lets every phone's 50 MP mode through; at
# most Pillow's own limit (89,478,485), above which it would refuse or warn by itself.
POSKO_MAX_IMAGE_PIXELS = env_int("POSKO_MAX_IMAGE_PIXELS", 60_000_000, minimum=1_000_000,
                                 maximum=89_478_485)

# E-mail: the console backend unless an SMTP host is given.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "posko@localhost")
# Address of this instance in links sent by e-mail.
POSKO_BASE_URL = env_str("POSKO_BASE_URL", "http://127.0.0.1:8000")

# Address lines printed under the Pemda's name on PDF reports, separated by "|".
POSKO_LETTERHEAD_ADDRESS = env_str("POSKO_LETTERHEAD_ADDRESS", "")

# Logistics map: Leaflet tile URL template (e.g. https://peta.example.go.id/tiles/{z}/{x}/{y}.png);
# empty = no tiles (TPS points on a plain background with a scale). Attribution is shown on the map.
POSKO_MAP_TILE_URL = env_str("POSKO_MAP_TILE_URL", "")
POSKO_MAP_TILE_ATTRIBUTION = env_str("POSKO_MAP_TILE_ATTRIBUTION", "")
# The public portal keeps its rendered pages and open data in Django's cache (posko.portal.cache).
POSKO_PORTAL_CACHE = env_bool("POSKO_PORTAL_CACHE", True)

# SMS intake (posko.sms, docs/modules/sms.md): the secret the gateway signs its webhook
# calls with (HMAC-SHA256 header or bearer token; unset = the webhook refuses everything), and
# an optional URL the replies are POSTed to by a background job (empty: the gateway sends the
# reply from the webhook's answer).
POSKO_SMS_WEBHOOK_SECRET = env_secret("POSKO_SMS_WEBHOOK_SECRET")
POSKO_SMS_OUTBOUND_URL = env_url("POSKO_SMS_OUTBOUND_URL")
# Reports are taken only from a phone its user verified (a code made in Posko, sent back by
# SMS as DAFTAR <code>); false: the phone on the account is enough.
POSKO_SMS_VERIFIED_PHONES = env_bool("POSKO_SMS_VERIFIED_PHONES", True)

# Largest upload accepted by the import pages (bytes).
POSKO_IMPORT_MAX_BYTES = env_int("POSKO_IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# An XLSX file may unpack to at most 20 times that (a real workbook: 8-14 times); more is a
# "zip bomb" and is refused before anything is parsed.
POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES = 20 * POSKO_IMPORT_MAX_BYTES
# Data rows per import file.
POSKO_IMPORT_MAX_ROWS = env_int("POSKO_IMPORT_MAX_ROWS", 200_000, minimum=1)
# Seconds an import may take (reading, checking, writing) before it is stopped and rolled
# back with a message; keep it below gunicorn's --timeout (README: 150 s vs --timeout 180).
POSKO_IMPORT_TIME_LIMIT = env_int("POSKO_IMPORT_TIME_LIMIT", 150, minimum=1)

# Background jobs (posko/core/jobs.py) through Django's task API. "database": the queue is a
# table, `posko worker` runs it (the default: no other service). "rq": Redis at
# POSKO_REDIS_URL carries it, and `posko worker` on any number of machines runs it.
# "immediate": jobs run inside the request (the test suite).
POSKO_JOBS = env_choice("POSKO_JOBS", "database", ["database", "rq", "immediate"])
POSKO_REDIS_URL = env_str("POSKO_REDIS_URL", "redis://127.0.0.1:6379/0")
# A worker's heartbeat and schedule round (seconds), and when a worker counts as gone.
POSKO_WORKER_TICK_SECONDS = env_int("POSKO_WORKER_TICK_SECONDS", 10, minimum=1)
# Import files from this size on (bytes) run as background jobs with progress, with their own
# time limit (seconds), when the importer supports it.
POSKO_IMPORT_BACKGROUND_BYTES = env_int("POSKO_IMPORT_BACKGROUND_BYTES", 1024 * 1024, minimum=1)
# List exports of this many rows or more are prepared by a background job.
POSKO_EXPORT_BACKGROUND_ROWS = env_int("POSKO_EXPORT_BACKGROUND_ROWS", 20000, minimum=1)
POSKO_JOB_IMPORT_TIME_LIMIT = env_int("POSKO_JOB_IMPORT_TIME_LIMIT", 3600, minimum=1)
POSKO_WORKER_STALE_SECONDS = env_int("POSKO_WORKER_STALE_SECONDS", 120, minimum=10)
# How long field submissions' Idempotency-Keys are kept (an offline phone's outbox).
POSKO_IDEMPOTENCY_KEEP_DAYS = env_int("POSKO_IDEMPOTENCY_KEEP_DAYS", 14, minimum=1)
# The offline field app (posko.fieldapp) resizes photos on the phone to at most this many
# pixels on the long side before queueing them.
POSKO_FIELDAPP_PHOTO_MAX_PX = env_int("POSKO_FIELDAPP_PHOTO_MAX_PX", 1600, minimum=320,
                                      maximum=8000)
# A queued file larger than this is sent by the resumable route (core.resumable) in chunks of
# POSKO_FIELDAPP_CHUNK_BYTES, so a dropped connection costs one chunk, not the whole photo.
POSKO_FIELDAPP_CHUNKED_OVER_BYTES = env_int("POSKO_FIELDAPP_CHUNKED_OVER_BYTES", 256 * 1024,
                                            minimum=1024)
POSKO_FIELDAPP_CHUNK_BYTES = env_int("POSKO_FIELDAPP_CHUNK_BYTES", 128 * 1024, minimum=1024,
                                     maximum=4 * 1024 * 1024)
# Hours a resumable upload may wait for its last chunk and its form before it is purged.
POSKO_RESUMABLE_HOURS = env_int("POSKO_RESUMABLE_HOURS", 24, minimum=1)
# How often a process asks whether a cached constant changed elsewhere (core.constants).
POSKO_CONSTANTS_CHECK_SECONDS = env_int("POSKO_CONSTANTS_CHECK_SECONDS", 2, minimum=0)
# What follows a write (logistics requirements after a DPT change, derived vulnerability
# indicators after a report…): "job" recomputes it in a background job after the write commits,
# "inline" inside the writing request (the default only when jobs run immediately).
POSKO_FANOUT = env_choice("POSKO_FANOUT", "inline" if POSKO_JOBS == "immediate" else "job",
                          ["job", "inline"])
# Finished jobs without a file are deleted after this many days (the jobs page stays short).
POSKO_JOB_KEEP_DAYS = env_int("POSKO_JOB_KEEP_DAYS", 7, minimum=1)
TASKS = {"default": {"BACKEND": {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}[POSKO_JOBS], "QUEUES": ["default"]}}
if POSKO_JOBS == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": POSKO_REDIS_URL, "DEFAULT_TIMEOUT": 3600}}

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The fast receipt page posts ~38 fields per TPS shipment; a large desa has 60+ TPS.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
POSKO_BEHIND_HTTPS_PROXY = env_bool("POSKO_BEHIND_HTTPS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if POSKO_BEHIND_HTTPS_PROXY else None
# Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges). Behind the
# README's nginx on the same machine that is 127.0.0.1 and ::1, the default when
# POSKO_BEHIND_HTTPS_PROXY is on; without a trusted proxy the header is ignored (anyone can
# send it). The client is the rightmost address in X-Forwarded-For that is not a trusted proxy.
POSKO_TRUSTED_PROXIES = env_networks(
    "POSKO_TRUSTED_PROXIES", ["127.0.0.1", "::1"] if POSKO_BEHIND_HTTPS_PROXY else [])
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS (docs/security.md): behind the README's proxy, http:// is redirected and browsers are
# told to use https:// only (HSTS, sent on HTTPS responses only; 0 switches it off).
SECURE_SSL_REDIRECT = env_bool("POSKO_SSL_REDIRECT", POSKO_BEHIND_HTTPS_PROXY)
SECURE_HSTS_SECONDS = env_int("POSKO_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# "preload" only means something for a registrable domain submitted to the browsers' list;
# a Pemda's posko.<kota>.go.id is neither, so the directive is not sent and the check is off.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Browser features no Posko page uses are switched off; the camera is Posko's own (the seal
# and box-code scanner, posko/static/posko/scan.js), the GPS too (field reports).
POSKO_PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(self), display-capture=(), "
                            "geolocation=(self), gyroscope=(), magnetometer=(), microphone=(), "
                            "midi=(), payment=(), usb=(), interest-cohort=()")
# Content-Security-Policy (django-csp), enforced: no inline script or <style> anywhere
# (docs/security.md). POSKO_CSP_ENFORCE=false sends it report-only instead (to try a change).
POSKO_CSP_ENFORCE = env_bool("POSKO_CSP_ENFORCE", True)
_csp = {"DIRECTIVES": csp_directives(env_str("POSKO_MAP_TILE_URL", ""))}
if POSKO_CSP_ENFORCE:
    CONTENT_SECURITY_POLICY = _csp
else:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
# Two-step login (TOTP) for admins and users with the personal-data permission: on unless
# DEBUG (the demo and development), POSKO_REQUIRE_2FA=false turns it off.
POSKO_REQUIRE_2FA = env_bool("POSKO_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Posko"

# API tokens (django-rest-knox, hashed; posko/accounts/tokens.py): days a new token lasts.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations would create its unused (swapped-out) table, which a flush of the test
# database on PostgreSQL then cannot truncate: knox has no migrations here, so no table.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"AUTH_TOKEN_CHARACTER_LENGTH": 64}
POSKO_API_TOKEN_DAYS = env_int("POSKO_API_TOKEN_DAYS", 30, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "posko.accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "posko.core.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "posko.core.openapi.AutoSchema",
    "PAGE_SIZE": 50,
    # Error bodies in the user's language, a 404 without the model's name.
    "EXCEPTION_HANDLER": "posko.core.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Posko API",
    "DESCRIPTION": "Desk Pilkada: wilayah, elections and the TPS registry, scoped to the caller's region.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to validator.swagger.io: the docs page must work on an intranet.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Choice sets whose field names collide across modules get their own names: each
    # module registers its own (posko.core.schema.register_enum in AppConfig.ready()).
    "ENUM_NAME_OVERRIDES": ENUM_NAME_OVERRIDES,
    # Every operation's error answers documented (401, 403, 404…: posko/core/openapi.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "posko.core.openapi.document_errors"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_choice(
        "LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])},
}
