"""The coverage-against-turnout scatter, drawn as SVG on the server.

Every coordinate is returned as a plain string written with a dot ("384.6"): an SVG
attribute is read by the browser, not by a person, and must never go through Django's
localisation (Indonesian would write "384,6" and the browser would draw nothing).
Only the labels people read (tick labels, the target) are localised.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
NICE_STEPS = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000)


def coordinate(value: float) -> str:
    """An SVG coordinate: one decimal at most, a dot, no grouping ("56", "384.6")."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_max(value: float) -> float:
    """The top of the x axis: four ticks of a round step."""
    for step in NICE_STEPS:
        if value <= step * 4:
            return step * 4
    return value


def scatter(rows) -> dict:
    """Coordinates of a coverage (x: reach per 1,000) vs turnout (y: %) scatter in SVG.

    ``rows`` are participation.turnout_by_kelurahan() rows; those without turnout or reach are
    left out. Every coordinate in the result is a string (see the module docstring).
    """
    points = [r for r in rows if r.turnout is not None and r.reach_per_1000 is not None]
    x_max = nice_max(max([float(r.reach_per_1000) for r in points] + [1.0]))
    ys = [float(r.turnout) for r in points] + [float(r.target) for r in points if r.target]
    y_min = max(0.0, (min(ys) // 10) * 10 - 10) if ys else 0.0
    y_max = 100.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def sx(value) -> str:
        return coordinate(LEFT + float(value) / x_max * plot_w)

    def sy(value) -> str:
        return coordinate(TOP + (y_max - float(value)) / (y_max - y_min) * plot_h)

    dots = [{"x": sx(r.reach_per_1000), "y": sy(r.turnout), "row": r, "below": r.below_target}
            for r in points]
    x_ticks = [{"x": sx(x_max * i / 4),
                "label": number_format(Decimal(round(x_max * i / 4)), force_grouping=True)}
               for i in range(5)]
    y_ticks = [{"y": sy(v), "label": f"{v}%"} for v in range(int(y_min), 101, 10)]
    target = points[0].target if points else None
    return {
        "dots": dots, "x_ticks": x_ticks, "y_ticks": y_ticks, "count": len(dots),
        "w": str(WIDTH), "h": str(HEIGHT), "left": str(LEFT), "right": str(right),
        "top": str(TOP), "bottom": str(bottom),
        "tick_bottom": str(bottom + 4), "tick_label_y": str(bottom + 16),
        "y_label_x": str(LEFT - 6), "x_title_y": str(HEIGHT - 4),
        "target_y": sy(target) if target is not None else None,
        "target": percent_label(target) if target is not None else None,
    }


def percent_label(value) -> str:
    """A percentage for people, without needless zeros: 83 %, 82,5 % (localised)."""
    value = Decimal(str(value)).normalize()
    exponent = value.as_tuple().exponent
    if value == value.to_integral_value():
        return number_format(value.quantize(Decimal(1)), decimal_pos=0)
    return number_format(value, decimal_pos=-exponent if isinstance(exponent, int) else 2)
