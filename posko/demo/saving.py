"""Writing the demo's reference rows: helpers every demo module may use.

Kept apart from ``data`` (which runs the other demo modules) so that those modules can
use them without importing ``data``: no import cycle.
"""

from __future__ import annotations


def save_if_changed(obj, values: dict) -> int:
    """Set ``values`` on ``obj`` and save it when it is new or something differs; 1 if saved."""
    changed = obj.pk is None or any(getattr(obj, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(obj, key, value)
    if changed:
        obj.save()
    return int(changed)


def set_m2m(manager, objects) -> int:
    """Make the many-to-many ``manager`` hold exactly ``objects``; 1 if it changed."""
    wanted = {o.pk for o in objects}
    if set(manager.values_list("pk", flat=True)) != wanted:
        manager.set(objects)
        return 1
    return 0
