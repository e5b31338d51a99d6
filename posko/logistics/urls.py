"""URLs of the logistics module; each area keeps its own list."""

from posko.logistics import urls_board, urls_core, urls_custody, urls_support

app_name = "logistics"

urlpatterns = [
    *urls_core.urlpatterns,
    *urls_custody.urlpatterns,
    *urls_board.urlpatterns,
    *urls_support.urlpatterns,
]
