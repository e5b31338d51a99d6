from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from posko.core import audit


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record("login", actor=user, object_repr=user.get_username())


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record("logout", actor=user, object_repr=user.get_username())
