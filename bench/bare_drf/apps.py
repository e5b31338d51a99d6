from django.apps import AppConfig


class BareConfig(AppConfig):
    name = "bench.bare_drf"
    label = "bare_drf"
