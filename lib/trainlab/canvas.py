"""The course's interactive figures: an ipympl canvas widget for a matplotlib Figure, and the
layout and theme every widget of the course shares.

Made here, so a notebook needs no ``%matplotlib widget``. Importing ipympl the usual way switches
pyplot to ipympl's backend when matplotlib is loaded, which would turn every later ``plt.show()``
of the notebook into a widget too; ``canvas_widget`` imports it leaving pyplot's backend alone.

Widgets lay out for the width they get: ``wrapping`` rows wrap (the loss plot goes under the map),
and ``themed`` follows JupyterLab's light and dark themes: a figure drawn on white is inverted
(with its hues kept) under a dark theme, and controls use the theme's colours.
"""

import warnings

import ipywidgets as widgets
import matplotlib

# JupyterLab marks its theme on <body data-jp-theme-light="true|false">. Feedback colours have a
# contrast of at least 4.5:1 on the theme's background (#ffffff light, #111111 dark; see tests).
DARK = 'body[data-jp-theme-light="false"]'
FEEDBACK_COLORS = {"light": {"correct": "#1a7f37", "wrong": "#cf222e", "note": "#7d4e00"},
                   "dark": {"correct": "#3fb950", "wrong": "#ff7b72", "note": "#d29922"}}
THEME_CSS = f"""
.trainlab-widget .trainlab-wrap {{ flex-flow: row wrap; gap: 4px 16px; max-width: 100%; }}
{DARK} .trainlab-widget .trainlab-figure canvas, {DARK} .trainlab-widget .trainlab-figure img {{
  filter: invert(0.93) hue-rotate(180deg); }}
.trainlab-widget .trainlab-figure img {{ max-width: 100%; height: auto; margin: 0; }}
.trainlab-widget .widget-toggle-button.mod-active {{ background: var(--jp-brand-color0); color: #ffffff;
  font-weight: bold; box-shadow: inset 0 -3px 0 #ffffff80; }}
.jp-OutputArea:has(.trainlab-quiz) .trainlab-rerun {{ display: none; }}
.trainlab-widget :focus-visible {{ outline: 2px solid var(--jp-brand-color1) !important; outline-offset: 2px; }}
""" + "".join(f".trainlab-widget .trainlab-{kind} {{ color: {color}; }}\n"
              for kind, color in FEEDBACK_COLORS["light"].items()) + "".join(
    f"{DARK} .trainlab-widget .trainlab-{kind} {{ color: {color}; }}\n"
    for kind, color in FEEDBACK_COLORS["dark"].items())
# A figure shown as an image output (LiveCurves) follows the theme the same way: the output just before
# it holds this style, marked with the class trainlab-curves (see livecurves.py).
CURVES_CSS = f"""{DARK} .jp-OutputArea-child:has(.trainlab-curves) + .jp-OutputArea-child img {{
  filter: invert(0.93) hue-rotate(180deg); }}
.jp-OutputArea-child:has(.trainlab-curves) {{ display: none; }}"""


def canvas_widget(figure):
    """``figure`` as an ipympl Canvas widget, without toolbar, header, footer or resize handle."""
    _use, matplotlib.use = matplotlib.use, lambda *args, **kwargs: None
    try:
        from ipympl.backend_nbagg import Canvas, FigureManager
    finally:
        matplotlib.use = _use
    canvas = Canvas(figure)
    with warnings.catch_warnings():  # ipympl's toolbar trips a traitlets deprecation warning
        warnings.filterwarnings("ignore", "Passing unrecognized arguments", DeprecationWarning)
        FigureManager(canvas, 0)
    for hidden in ("toolbar_visible", "header_visible", "footer_visible", "resizable"):
        setattr(canvas, hidden, False)
    return canvas


def wrapping(children, figures=False):
    """A row of ``children`` that wraps onto more lines when the notebook is narrow.

    figures: the children are figures (canvases or images), inverted under a dark theme.
    """
    box = widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap", max_width="100%"))
    box.add_class("trainlab-wrap")
    if figures:
        box.add_class("trainlab-figure")
    return box


def themed(children):
    """A column of ``children`` that follows JupyterLab's theme (THEME_CSS, in a hidden style element)."""
    style = widgets.HTML(f"<style>{THEME_CSS}</style>", layout=widgets.Layout(display="none"))
    box = widgets.VBox([style, *children], layout=widgets.Layout(max_width="100%"))
    box.add_class("trainlab-widget")
    return box
