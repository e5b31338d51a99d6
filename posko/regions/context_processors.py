from django.conf import settings

from posko.regions.models import Pemda


def posko(request):
    return {"pemda": Pemda.current(), "DEBUG": settings.DEBUG}
