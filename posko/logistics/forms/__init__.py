"""Logistics forms, one file per capability (import from the capability file)."""
