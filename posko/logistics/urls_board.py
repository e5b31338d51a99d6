"""The H-1 board and the readiness map (views_board)."""

from django.urls import path

from posko.logistics import views_board

urlpatterns = [
    path("papan-h1/", views_board.BoardView.as_view(), name="board"),
    path("peta/", views_board.MapView.as_view(), name="map"),
    path("peta/data/", views_board.MapDataView.as_view(), name="map_data"),
    path("peta/tps/<int:pk>/", views_board.MapTpsView.as_view(), name="map_tps"),
]
