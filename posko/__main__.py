"""The ``posko`` console command: manage.py for an installed Posko."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posko.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        # The demo is a development server on this machine: debug on unless told otherwise.
        os.environ.setdefault("DEBUG", "true")
    from posko.env import ConfigError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        sys.stderr.write(f"posko: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
