"""Logistics pages, one file per capability (import from the capability file)."""
