"""The BPJS Ketenagakerjaan return file: enrolment status per worker, matched by NIK."""

from __future__ import annotations

from django.utils.translation import gettext as _

from posko.core import audit
from posko.core.importer import (
    ElectionImporter,
    ImportResult,
)
from posko.core.templates_example import ExampleRowMixin
from posko.workers import readiness_component
from posko.workers.imports.columns import BPJS_COLUMNS
from posko.workers.models import Worker
from posko.workers.nik import mask_nik
from posko.workers.services import months_between, snapshot


class BpjsReturnImporter(ExampleRowMixin, ElectionImporter):
    """Matched by NIK among the active workers the importer may edit; an unknown NIK is a
    row error (all or nothing)."""

    columns = BPJS_COLUMNS
    noun = "daftar kembali BPJS"

    def prepare(self) -> None:
        self.workers = {w.nik: w for w in Worker.objects.editable_by(self.actor).filter(
            election=self.election, status=Worker.Status.AKTIF)}
        self.seen: dict[str, int] = {}

    def build(self, row, values, error):
        if self.refuse_example(row, values, error):
            return None
        nik = values["nik"]
        worker = self.workers.get(nik)
        if worker is None:
            error("nik", _("NIK %(nik)s is not an active worker of this election in your region.") % {
                "nik": mask_nik(nik) if len(nik) == 16 else nik[:20]})
            return None
        if nik in self.seen:
            error("nik", _("NIK %(nik)s is already on row %(row)s.") % {
                "nik": mask_nik(nik), "row": self.seen[nik]})
            return None
        self.seen[nik] = row
        start, end = values.get("mulai_kepesertaan"), values.get("akhir_kepesertaan")
        if start and end and end < start:
            error("akhir_kepesertaan", _("The coverage cannot end before it starts."))
            return None
        return (worker, values)

    def write(self, objects) -> ImportResult:

        result = ImportResult()
        changed = []
        for worker, values in objects:
            before = snapshot(worker)
            programmes = values.get("program")
            if programmes is not None:
                worker.bpjs_jkk, worker.bpjs_jkm = programmes
            worker.bpjs_number = values["nomor_kepesertaan"]
            worker.bpjs_status = values.get("status") or Worker.Bpjs.AKTIF
            if values.get("mulai_kepesertaan"):
                worker.bpjs_start = values["mulai_kepesertaan"]
            if values.get("akhir_kepesertaan"):
                worker.bpjs_end = values["akhir_kepesertaan"]
            if not worker.bpjs_funding:
                worker.bpjs_funding = Worker.Funding.APBD
            worker.bpjs_months = months_between(worker.bpjs_start, worker.bpjs_end)
            after = snapshot(worker)
            if {k: v for k, v in after.items() if k != "version"} == \
                    {k: v for k, v in before.items() if k != "version"}:
                result.unchanged += 1
                continue
            worker.version += 1
            after["version"] = worker.version
            changed.append((worker, before, after))
        Worker.objects.bulk_update([w for w, _b, _a in changed],
                                   ["bpjs_jkk", "bpjs_jkm", "bpjs_number", "bpjs_status", "bpjs_start",
                                    "bpjs_end", "bpjs_funding", "bpjs_months", "version"],
                                   batch_size=2000)
        audit.insert_many(Worker, "update", (
            (w.pk, str(w), b, a, w.kecamatan_id, w.kelurahan_id or "") for w, b, a in changed),
            actor=self.actor, message="BPJS import")
        if changed:
            readiness_component.changed(self.election, [w.tps_id for w, _b, _a in changed])
        result.updated = len(changed)
        return result
