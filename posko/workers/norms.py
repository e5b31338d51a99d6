"""Staffing caps: no posting beyond the election's norms (7 KPPS incl. 1 chair, 2 Linmas and
1 PTPS per TPS, 3 PPS per kelurahan, 5 PPK per kecamatan; ``WorkerSettings``).

A worker fills *slots*: a KPPS chair fills a "kpps" and a "ketua" slot at its TPS, a PPS
member a "pps" slot at its kelurahan. A write that makes a worker enter a slot locks the
place's row (TPS, kelurahan or kecamatan) first, then counts the active workers in it, so
two operators posting at once cannot both take the last seat. The service (form, API) and
the import call :func:`problems`; a replacement does not (it takes a seat being freed)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.elections.models import Tps
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers.models import Worker, WorkerSettings

R = Worker.Role
# slot name -> (roles that fill it, the place it is counted at)
SLOTS = {
    "kpps": (Worker.KPPS_ROLES, "tps"),
    "ketua": ((R.KPPS_KETUA,), "tps"),
    "linmas": ((R.LINMAS,), "tps"),
    "ptps": ((R.PTPS,), "tps"),
    "pps": ((R.PPS,), "kelurahan"),
    "ppk": ((R.PPK,), "kecamatan"),
}
MESSAGES = {
    "kpps": gettext_lazy("%(place)s already has %(count)s KPPS members (norm %(norm)s)."),
    "ketua": gettext_lazy("%(place)s already has %(count)s KPPS chair (norm %(norm)s)."),
    "linmas": gettext_lazy("%(place)s already has %(count)s Linmas (norm %(norm)s)."),
    "ptps": gettext_lazy("%(place)s already has %(count)s PTPS (norm %(norm)s)."),
    "pps": gettext_lazy("%(place)s already has %(count)s PPS members (norm %(norm)s)."),
    "ppk": gettext_lazy("%(place)s already has %(count)s PPK members (norm %(norm)s)."),
}

Slot = tuple[str, object]  # (slot name, TPS id / kelurahan code / kecamatan code)


def norm_values(settings: WorkerSettings) -> dict[str, int]:
    return {"kpps": settings.kpps_per_tps, "ketua": 1, "linmas": settings.linmas_per_tps,
            "ptps": settings.ptps_per_tps, "pps": settings.pps_per_kelurahan,
            "ppk": settings.ppk_per_kecamatan}


def slots(role: str, tps_id, kelurahan_id, kecamatan_id) -> set[Slot]:
    places = {"tps": tps_id, "kelurahan": kelurahan_id, "kecamatan": kecamatan_id}
    return {(name, places[kind]) for name, (roles, kind) in SLOTS.items()
            if role in roles and places[kind]}


def worker_slots(worker: Worker) -> set[Slot]:
    if worker.status != Worker.Status.AKTIF:
        return set()
    return slots(worker.role, worker.tps_id, worker.kelurahan_id, worker.kecamatan_id)


def _by_kind(wanted: Iterable[Slot]) -> dict[str, list]:
    places: dict[str, set] = {"tps": set(), "kelurahan": set(), "kecamatan": set()}
    for name, place in wanted:
        places[SLOTS[name][1]].add(place)
    return {kind: sorted(values) for kind, values in places.items()}


def lock(wanted: Iterable[Slot]) -> None:
    """Lock the rows of the places (in a fixed order: no deadlock between two writers)."""
    places = _by_kind(wanted)
    for model, key, values in ((Tps, "pk", places["tps"]), (Kelurahan, "code", places["kelurahan"]),
                               (Kecamatan, "code", places["kecamatan"])):
        if values:
            list(model.objects.select_for_update().filter(**{f"{key}__in": values})
                 .order_by(key).values_list(key, flat=True))


def occupied(election_id, wanted: Iterable[Slot], exclude_pks: Iterable[int] = ()) -> dict[Slot, int]:
    """Active workers per slot of ``wanted`` (one grouped query per kind of place)."""
    places = _by_kind(wanted)
    active = Worker.objects.filter(election_id=election_id, status=Worker.Status.AKTIF)
    exclude_pks = [pk for pk in exclude_pks if pk]
    if exclude_pks:
        active = active.exclude(pk__in=exclude_pks)
    found: dict[Slot, int] = {}
    if places["tps"]:
        per_tps = {name: Count("pk", filter=Q(role__in=roles)) for name, (roles, kind) in SLOTS.items()
                   if kind == "tps"}
        for row in active.filter(tps_id__in=places["tps"]).order_by().values("tps_id").annotate(**per_tps):
            for name in per_tps:
                found[(name, row["tps_id"])] = row[name]
    for name, kind, column in (("pps", "kelurahan", "kelurahan_id"), ("ppk", "kecamatan", "kecamatan_id")):
        if places[kind]:
            for place, n in (active.filter(role=SLOTS[name][0][0], **{f"{column}__in": places[kind]})
                             .order_by().values(column).annotate(n=Count("pk")).values_list(column, "n")):
                found[(name, place)] = n
    return found


def place_labels(wanted: Iterable[Slot]) -> dict[tuple[str, object], str]:
    """"TPS 005 Kauman", "Kelurahan Kauman", "Kecamatan Klojen" for the places named."""
    places = _by_kind(wanted)
    labels = {}
    for pk, number, kel in Tps.objects.filter(pk__in=places["tps"]).values_list(
            "pk", "number", "kelurahan__name"):
        labels[("tps", pk)] = f"TPS {number:03d} {kel}"
    for code, name in Kelurahan.objects.filter(code__in=places["kelurahan"]).values_list("code", "name"):
        labels[("kelurahan", code)] = _("Kelurahan %(name)s") % {"name": name}
    for code, name in Kecamatan.objects.filter(code__in=places["kecamatan"]).values_list("code", "name"):
        labels[("kecamatan", code)] = _("Kecamatan %(name)s") % {"name": name}
    return labels


def message(slot: Slot, count: int, norm: int, labels: dict) -> str:
    name, place = slot
    kind = SLOTS[name][1]
    return str(MESSAGES[name]) % {"place": labels.get((kind, place), place), "count": count,
                                  "norm": norm}


def batch_problems(election, moves, *, exclude_pks=()) -> list[tuple[object, str, str]]:
    """``moves``: (key, slots left, slots entered) per worker, in order (a file's rows). Locks
    the places entered, counts their active workers (less those leaving them) and returns
    (key, kind of place, message) for each worker entering a full slot."""
    moves = list(moves)
    entering = set().union(*(entered for _k, _l, entered in moves)) if moves else set()
    if not entering:
        return []
    lock(entering)
    norms = norm_values(WorkerSettings.for_election(election))
    counts = occupied(election.pk, entering, exclude_pks)
    for _key, left, _entered in moves:
        for slot in left & entering:
            counts[slot] = counts.get(slot, 0) - 1
    full = []
    for key, _left, entered in moves:
        for slot in sorted(entered, key=str):
            n = counts.get(slot, 0)
            if n >= norms[slot[0]]:
                full.append((key, slot, n))
            else:
                counts[slot] = n + 1
    if not full:
        return []
    labels = place_labels(slot for _k, slot, _n in full)
    hint = _("To change who serves, replace one of them (Replace on the worker's page).")
    return [(key, SLOTS[slot[0]][1], f"{message(slot, n, norms[slot[0]], labels)} {hint}")
            for key, slot, n in full]


def problems(election, entering: set[Slot], *, exclude_pk=None) -> list[tuple[str, str]]:
    """One worker entering ``entering``: (form field, message) for each full slot."""
    return [(kind, text) for _key, kind, text in batch_problems(
        election, [(None, set(), entering)], exclude_pks=[exclude_pk] if exclude_pk else [])]
