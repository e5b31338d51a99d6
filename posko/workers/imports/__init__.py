"""Importers of the workers module, one file per file kind: ``workers`` (the registry),
``bpjs`` (the BPJS Ketenagakerjaan return); ``columns`` holds the cell parsers and columns."""

from posko.workers.imports.bpjs import BpjsReturnImporter
from posko.workers.imports.columns import BPJS_COLUMNS, WORKER_COLUMNS
from posko.workers.imports.workers import INSERT_FIELDS, UPDATE_FIELDS, WorkerImporter

__all__ = ["BPJS_COLUMNS", "WORKER_COLUMNS", "INSERT_FIELDS", "UPDATE_FIELDS", "WorkerImporter",
           "BpjsReturnImporter"]
