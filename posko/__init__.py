"""Posko: the Desk Pilkada coordination software."""
