"""Demo data of the workers module (Kota Malang)."""


def build_workers(result) -> None:
    """Idempotent: a second run changes nothing."""
