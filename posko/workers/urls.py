"""URLs of the workers module."""

app_name = "workers"

urlpatterns: list = []
