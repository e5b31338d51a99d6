"""Settings for the test suite: the real settings plus a fast password hasher."""

import os
import tempfile

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-posko-0123456789")
os.environ.setdefault("POSKO_DATA_DIR", tempfile.mkdtemp(prefix="posko-test-"))
# Jobs run inside the request unless a test starts a real worker (tests/test_jobs_worker.py).
os.environ.setdefault("POSKO_JOBS", "immediate")
# One process: a change is seen through the signals at once, and no query count depends on
# when the shared counter was last compared (tests/test_constants.py sets its own interval).
os.environ.setdefault("POSKO_CONSTANTS_CHECK_SECONDS", "3600")

from posko.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "id"

# The test database follows DATABASE_URL's name: postgres://…/mydb -> test_mydb (dev.py's
# POSKO_TEST_POSTGRES_URL), so two checkouts or CI and a developer on one server do not
# drop each other's database. Django's default, written down so it cannot drift.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}"}  # noqa: F405
