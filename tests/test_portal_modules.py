"""The portal is a module like the others: removing it leaves Posko working (no /publik/,
no link on the login page), and removing a module that contributes a section leaves the
portal working without that section (and its open-data columns). Each case runs in its own
interpreter (tests/portal_without.py)."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# removed module -> the section it contributes
CASES = {"portal": None, "outreach": "agenda", "incidents": "report", "voting": "voting"}


def _run(module: str) -> dict:
    env = {**os.environ, "POSKO_TEST_WITHOUT": module, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "portal_without.py")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"without {module}:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs():
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CASES, pool.map(_run, CASES), strict=True))


def test_posko_works_without_the_portal(runs):
    seen = runs["portal"]
    assert "portal" not in seen["namespaces"]
    assert seen["publik"] == 404
    assert 'href="/publik/"' not in seen["login_html"]
    assert 'data-testid="public-report-link"' in seen["login_html"]  # incidents unaffected


@pytest.mark.parametrize("module", [m for m in CASES if CASES[m]])
def test_portal_works_without_a_contributing_module(runs, module):
    seen = runs[module]
    assert "portal" in seen["namespaces"] and 'href="/publik/"' in seen["login_html"]
    assert CASES[module] not in seen["sections"]
    assert "tps" in seen["sections"]  # the portal's own section stays
    others = {CASES[m] for m in CASES if CASES[m] and m != module} - {"voting"}
    assert others <= set(seen["sections"])  # (voting shows nothing before any report)
    if module == "voting":
        assert "voting_state" not in seen["columns"]
    else:
        assert "voting_state" in seen["columns"]
