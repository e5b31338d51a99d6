"""API of the incidents module: ``ROUTES`` is read by posko/api_urls.py."""

# (prefix, viewset, basename)
ROUTES: list = []
