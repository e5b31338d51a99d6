"""Demo data of the incidents module (Kota Malang)."""


def build_incidents(result) -> None:
    """Idempotent: a second run changes nothing."""
