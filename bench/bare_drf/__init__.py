"""A bare Django 5.2 + DRF project (one model, token auth, a ModelViewSet): the baseline
that bench/request_path.py measures Posko's API against, with the same versions."""
