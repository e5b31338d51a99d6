"""Conditional GET for pages and data that many screens poll (boards, maps): an ETag built
from what the response depends on, and a 304 when the browser's copy is still current."""

from __future__ import annotations

import hashlib

from django.http import HttpResponseNotModified


def etag(*parts) -> str:
    """A strong ETag over ``parts`` (their repr: include the user, filters and language)."""
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def matches(request, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag`` (or ``*``); weak forms compare equal."""
    header = request.headers.get("If-None-Match", "")
    tags = {item.strip().removeprefix("W/") for item in header.split(",") if item.strip()}
    return tag in tags or "*" in tags


def not_modified(tag: str) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    return response
