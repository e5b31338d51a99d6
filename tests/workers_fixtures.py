"""Helpers for the workers tests: generated NIKs (never real ones) and workers."""

from __future__ import annotations

import datetime
import itertools

from posko.workers import services
from posko.workers.models import Worker

_serial = itertools.count(1)


def make_nik(prefix: str = "357302", birth: datetime.date = datetime.date(1985, 5, 17),
             sex: str = "L", serial: int | None = None) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    serial = next(_serial) if serial is None else serial
    return f"{prefix}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def make_worker(actor, tps, *, role=Worker.Role.KPPS_ANGGOTA, birth=datetime.date(1985, 5, 17),
                sex="L", name="Budi Santoso", domicile=None, phone="081234567890", **extra) -> Worker:
    worker = Worker(election=tps.election, role=role, tps=tps, nik=make_nik(birth=birth, sex=sex),
                    full_name=name, phone=phone, domicile_code=domicile or tps.kelurahan_id, **extra)
    return services.create_worker(worker, actor=actor)
