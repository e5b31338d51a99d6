"""What the worker pages share: the election, a worker in scope."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from posko.core.scope import get_visible_or_404
from posko.elections.models import Election
from posko.workers.models import Worker

UNCOVERED_LIMIT = 200
UNCOVERED_LIST_MAX = 5000


def election_or_404(request) -> Election:
    election = request.election
    if election is None:
        raise Http404
    return election


def worker_or_404(user, pk) -> Worker:
    return get_visible_or_404(Worker.objects.select_related("tps", "kelurahan", "kecamatan", "election"),
                              user, pk=pk)


def editable_worker(user, pk) -> Worker:
    worker = worker_or_404(user, pk)
    if not Worker.objects.editable_by(user).filter(pk=worker.pk).exists():
        raise PermissionDenied
    return worker
