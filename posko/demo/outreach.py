"""Demo data of the outreach module (Kota Malang)."""


def build_outreach(result) -> None:
    """Idempotent: a second run changes nothing."""
