"""API base pieces: a scoped viewset base."""

from rest_framework import viewsets


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only viewset whose queryset is always narrowed to the caller's scope."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)
