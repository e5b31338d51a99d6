"""No page of Posko needs what the Content-Security-Policy forbids (issue 16): every HTML page
of the URL sweep (tests/test_url_sweep.py), fetched as the admin, a kelurahan operator and an
anonymous visitor, has no inline <script> (JSON data blocks excepted), no <style> element, no
on* handler attribute, no htmx ``hx-on`` (it would need eval) and no ``javascript:`` URL.
Style attributes are allowed by the policy (``style-src-attr``, docs/security.md)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.test_url_sweep import send, sweep  # noqa: F401 - sweep is the fixture

pytestmark = pytest.mark.django_db

DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block in one HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src") and "nonce" not in names \
                and (names.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        if tag == "style" and "nonce" not in names:
            self.found.append(f"<style> element at line {self.getpos()[0]}")
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=…> at line {self.getpos()[0]}")
            if name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…> at line {self.getpos()[0]}")

    handle_startendtag = handle_starttag


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_scan_finds_each_kind():
    html = """<html><head><style>p{}</style><script>alert(1)</script>
    <script type="application/json" id="cfg">{"a": 1}</script><script src="/s.js"></script>
    </head><body><select onchange="this.form.submit()"></select><a href="javascript:go()">x</a>
    <button hx-on:click="x()">b</button><span style="width:3%"></span></body></html>"""
    found = inline_code(html)
    assert len(found) == 5, found
    assert [f.split(" at ")[0] for f in found] == [
        "<style> element", "inline <script>", "<select onchange=…>", "<a href=javascript:…>",
        "<button hx-on:click=…>"]
    assert inline_code('<p style="color:red" data-autosubmit>ok</p>') == []


def test_no_page_has_inline_code(sweep):  # noqa: F811 - the fixture
    _sw, routes, _skipped, _problems, clients = sweep
    failures, pages = [], 0
    for route in routes:
        if route.is_api and route.name != "api:docs" or "get" not in route.accepts:
            continue
        for persona in ("admin", "kelurahan_a", "anonymous"):
            response = send(clients[persona], "get", route.url, route.is_api)
            if response.status_code != 200 or getattr(response, "streaming", False) or \
                    not response.get("Content-Type", "").startswith("text/html"):
                continue
            pages += 1
            for what in inline_code(response.content.decode()):
                failures.append(f"{route.name} {route.url} as {persona}: {what}")
    assert pages > 150  # the sweep really rendered the pages
    assert not failures, "inline code the CSP blocks:\n" + "\n".join(sorted(set(failures)))
