"""The quick count (hitung cepat): the sample design and its draw (design.py), the
estimates from the sample's counted C.Hasil (estimate.py), the rules of a design
(rules.py) and its form (forms.py). Pure functions where possible; writes are in
``posko.voting.services.quickcount``."""
