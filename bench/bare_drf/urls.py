from rest_framework import serializers, viewsets
from rest_framework.routers import DefaultRouter

from bench.bare_drf.models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "title", "number", "note", "created_at"]


class ItemViewSet(viewsets.ModelViewSet):
    serializer_class = ItemSerializer

    def get_queryset(self):
        return Item.objects.filter(owner=self.request.user).order_by("-id")

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


router = DefaultRouter()
router.register("items", ItemViewSet, basename="item")
urlpatterns = router.urls
