"""The course's interactive figures: an ipympl canvas widget for a matplotlib Figure.

Made here, so a notebook needs no ``%matplotlib widget``. Importing ipympl the usual way switches
pyplot to ipympl's backend when matplotlib is loaded, which would turn every later ``plt.show()``
of the notebook into a widget too; importing this module leaves pyplot's backend alone.
"""

import warnings

import matplotlib

_use, matplotlib.use = matplotlib.use, lambda *args, **kwargs: None
try:
    from ipympl.backend_nbagg import Canvas, FigureManager
finally:
    matplotlib.use = _use


def canvas_widget(figure):
    """``figure`` as an ipympl Canvas widget, without toolbar, header, footer or resize handle."""
    canvas = Canvas(figure)
    with warnings.catch_warnings():  # ipympl's toolbar trips a traitlets deprecation warning
        warnings.filterwarnings("ignore", "Passing unrecognized arguments", DeprecationWarning)
        FigureManager(canvas, 0)
    for hidden in ("toolbar_visible", "header_visible", "footer_visible", "resizable"):
        setattr(canvas, hidden, False)
    return canvas
