"""The Kota Malang demo: `posko demo` builds a realistic Pilkada 2024 desk and serves it."""
