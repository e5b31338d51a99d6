"""The arrows of docs/development/architecture.md: core imports no app, regions only core,
and no domain module imports another."""

import ast
from pathlib import Path

import pytest

POSKO = Path(__file__).resolve().parent.parent / "posko"
BASE = {"core", "regions", "elections", "accounts"}
# The demo seeds every module on purpose; nothing imports it.
SEEDERS = {"demo"}
ALLOWED = {
    "core": set(),
    "regions": {"core"},
    "accounts": {"core", "regions"},
    "elections": {"core", "regions", "accounts"},
}


def _imported_apps(app: str) -> set[str]:
    found = set()
    for path in (POSKO / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "posko" and len(parts) > 1 and (POSKO / parts[1]).is_dir():
                    found.add(parts[1])
    return found - {app}


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_base_apps_import_only_downwards(app):
    assert _imported_apps(app) <= ALLOWED[app]


def test_domain_modules_do_not_import_each_other():
    apps = [p.name for p in POSKO.iterdir() if (p / "apps.py").exists()]
    for app in apps:
        if app in BASE or app in SEEDERS:
            continue
        others = _imported_apps(app) - BASE
        assert not others, f"{app} imports {others}: register a provider in core instead"


def test_nothing_imports_the_demo():
    for app in [p.name for p in POSKO.iterdir() if (p / "apps.py").exists()]:
        if app not in SEEDERS:
            assert "demo" not in _imported_apps(app), app
