"""URLs of the incidents module."""

app_name = "incidents"

urlpatterns: list = []
