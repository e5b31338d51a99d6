"""The start of every "Posko without a module" script (tests/*_without.py), run in a fresh
interpreter: the module named by ``POSKO_TEST_WITHOUT`` (and the demo) are taken out of
INSTALLED_APPS, Django is set up on an in-memory SQLite database and migrated."""

import os


def boot() -> str:
    """Set Django up without the module; return its name."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["DATABASE_URL"] = "sqlite:///:memory:"
    removed = os.environ["POSKO_TEST_WITHOUT"]

    import django
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS
                               if app not in (f"posko.{removed}", "posko.demo")]
    django.setup()

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return removed
