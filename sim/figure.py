"""Figures that show themselves in Jupyter and can write Chinese.

acdsim builds matplotlib figures without pyplot (no global state, safe in worker processes), but a bare
``matplotlib.figure.Figure`` has no inline display hook: a notebook cell ending in ``res.plot_service()``
would print ``<Figure size …>``. :class:`Figure` adds ``_repr_png_`` (IPython's rich-display protocol) so
the figure renders inline, and :func:`new_figure` also picks a font that has CJK glyphs when the labels
are Chinese (see :mod:`sim.fonts`).
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as _MplFigure


class Figure(_MplFigure):
    """A matplotlib Figure with an Agg canvas that IPython displays as a PNG."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        FigureCanvasAgg(self)

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=90)
        return buf.getvalue()

    def png(self, dpi: int = 90) -> bytes:
        """The figure as PNG bytes."""
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()


def embed_png(fig, path) -> str:
    """Save ``fig`` as PNG at ``path`` and return an ``<img>`` tag with the same picture embedded (so the
    HTML page can be mailed on its own); a pyplot figure is closed afterwards."""
    import base64
    from pathlib import Path

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    if not isinstance(fig, Figure):   # made with pyplot: release it
        import matplotlib.pyplot as plt

        plt.close(fig)
    path = Path(path)
    path.write_bytes(buf.getvalue())
    return f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}" alt="{path.stem}">'


def with_cjk_fonts(build):
    """Decorator for functions that build figures: their text may be Chinese (see :mod:`sim.fonts`)."""
    import functools

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        from sim.fonts import cjk_fonts

        with cjk_fonts():
            return build(*args, **kwargs)

    return wrapper
