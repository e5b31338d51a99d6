import urllib.request, urllib.error
import pytest
from django.conf import settings

@pytest.mark.browser
def test_debug(live_server):
    print("STATIC_URL", settings.STATIC_URL, settings.DEBUG, settings.STATIC_ROOT)
    from django.contrib.staticfiles import finders
    print("find", finders.find("posko/posko.css"))
    try:
        r = urllib.request.urlopen(live_server.url + "/static/posko/posko.css")
        print(r.status, r.headers)
    except urllib.error.HTTPError as e:
        print("ERR", e.code, e.read()[:500])
    from django.test import Client
    print("client", Client().get("/static/posko/posko.css").status_code)
