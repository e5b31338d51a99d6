from django.conf import settings
from django.db import models


class Item(models.Model):
    title = models.CharField(max_length=200)
    number = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bare_drf"

    def __str__(self):
        return self.title
