from django.urls import path

from posko.elections import areas
from posko.elections import browse as views

app_name = "regions"

urlpatterns = [
    path("", views.KecamatanListView.as_view(), name="kecamatan_list"),
    path("kecamatan/<str:code>/", views.KecamatanDetailView.as_view(), name="kecamatan_detail"),
    path("kelurahan/<str:code>/", views.KelurahanDetailView.as_view(), name="kelurahan_detail"),
    # the maps' base layer: approximate kelurahan areas from the TPS points (GeoJSON)
    path("peta/perkiraan-wilayah.json", areas.AreasView.as_view(), name="areas"),
]
