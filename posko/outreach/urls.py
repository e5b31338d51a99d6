"""URLs of the outreach module."""

app_name = "outreach"

urlpatterns: list = []
