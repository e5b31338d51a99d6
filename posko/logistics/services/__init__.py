"""Logistics writes, one file per capability: the catalogue and settings, requirements,
readiness, shipments and receipts, shortfall cases, support requests. Each validates (the
rules in ``posko.logistics.rules``), saves and audits in one transaction."""
