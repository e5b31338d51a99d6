"""The shell names no domain module: each one removed in turn from INSTALLED_APPS leaves a
working Posko (URLconf, checks, migrations, beranda, login page, API root and schema), and
its links, header widgets and API routes are gone. Each case runs in its own interpreter."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# module -> (URL namespace, a nav label it contributes, an API prefix it contributes)
MODULES = {
    "coordination": ("coordination", 'href="/koordinasi/tugas/"', "tasks"),
    "logistics": ("logistics", 'href="/logistik/', "logistics/shipments"),
    "vulnerability": ("vulnerability", 'href="/kerawanan/', "vulnerability/assessments"),
    "workers": ("workers", 'href="/petugas/', "workers"),
    "incidents": ("incidents", 'href="/laporan/', "reports"),
    "outreach": ("outreach", 'href="/sosialisasi/', "outreach/activities"),
    "voting": ("voting", 'href="/pemungutan/', "voting/tps"),
    "readiness": ("readiness", 'href="/kesiapan/"', "readiness/tps"),
    "sms": ("sms", 'href="/sms/"', "sms"),  # its webhook is an EXTRA_URLS path, not a route
}


def _run(module: str) -> dict:
    env = {**os.environ, "POSKO_TEST_WITHOUT": module, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "shell_without.py")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"without {module}:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs():
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(MODULES, pool.map(_run, MODULES), strict=True))


@pytest.mark.parametrize("module", list(MODULES))
def test_posko_works_without_the_module(runs, module):
    seen = runs[module]
    namespace, link, api_prefix = MODULES[module]
    assert seen["login"] == 200 and seen["home"] == 200
    assert seen["api_root"] == 200 and seen["schema"] == 200
    assert namespace not in seen["namespaces"]
    assert link not in seen["home_html"]
    assert not any(key == api_prefix or key.startswith(api_prefix + "/") for key in seen["api_keys"])
    for other, (other_ns, other_link, _api) in MODULES.items():
        if other != module:
            assert other_ns in seen["namespaces"], f"{other} lost without {module}"
            assert other_link in seen["home_html"], f"{other}'s nav link lost without {module}"
    # The TPS page (core.tps_panels): whole, without the module's panel, with the others'.
    assert seen["tps_page"] == 200 and 'data-testid="dpt-total"' in seen["tps_html"]
    assert f'data-panel="{module}"' not in seen["tps_html"]
    for other in MODULES:
        if other != module:
            assert f'data-panel="{other}"' in seen["tps_html"], f"{other}'s TPS panel lost"
    # The executive dashboard (core.executive): renders, the module's section is gone.
    assert seen["executive_page"] == 200
    sections = {"voting", "readiness", "vulnerability", "incidents", "workers"}
    assert set(seen["executive_sections"]) == sections - {module}
    bell = 'data-testid="notification-bell"'
    assert (bell in seen["home_html"]) == (module != "coordination")
    public = 'data-testid="public-report-link"'
    assert (public in seen["login_html"]) == (module != "incidents")
