"""Optimizers racing on a 2-D loss landscape: the course's trajectory widget.

    from trainlab.race import Race, default_racers
    Race()                                   # torch's SGD, momentum, RMSprop and Adam on Rosenbrock
    Race({**default_racers(), "my adam": (adam, {"lr": 0.1, "beta1": 0.9, "beta2": 0.999})},
         landscape="beale")
    Race().save_html("race.html")            # the same animation as a standalone HTML player

A racer is ``update`` (the course's signature ``update(w, dw, config) -> (w, config)``) with a
``config`` of hyperparameters, which each run of the race gets a fresh copy of. Its ``lr`` gets a
slider of its own; ``momentum``, ``alpha`` (RMSprop's decay, as torch names it), ``beta1`` and
``beta2`` get one slider each, shared by the racers whose config has that key. A click on the map
starts the race there.

Racers whose paths coincide (yours matching torch's) are drawn dashed over each other, and the
legend says so. The figures are ipympl canvas widgets (:mod:`trainlab.canvas`), so the race needs no
``%matplotlib widget`` and leaves pyplot's backend alone; a frame is drawn by moving the existing artists. Headless (nbclient, autograding), nothing is
rendered until a front end asks, so building and displaying a race costs only the trajectories.
"""

import copy
import html
import math
import re

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.animation import FuncAnimation
from matplotlib.backend_bases import MouseButton
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .canvas import canvas_widget, themed, wrapping
from .landscapes import LANDSCAPES, Landscape
from .trajectories import follow, torch_update

# inches at 100 dpi. The widget shows the map and the losses as two canvases (360 x 360 and 440 x 360
# pixels) side by side that wrap, the losses under the map, in a notebook narrower than about 900 pixels.
MAP_SIZE, LOSS_SIZE = (3.6, 3.6), (4.4, 3.6)
FIGSIZE = (8.4, 3.6)  # the static export's one figure: 672 x 288 pixels at EXPORT_DPI
EXPORT_DPI = 80
FLOOR = 1e-12  # the loss axis shows f - f_min down to here

# config keys with one slider for all racers that have them: (min, max, step)
SHARED = {"momentum": (0.0, 0.99, 0.01), "alpha": (0.5, 0.999, 0.001), "beta1": (0.0, 0.99, 0.01),
          "beta2": (0.9, 0.9999, 0.0001)}

# matplotlib's player takes its button icons from a CDN; these glyphs need no network.
ICONS = """<style>
.anim-buttons .fa { font-style: normal; display: inline-block; min-width: 1em; }
.fa-minus::before { content: "\\2212"; }  .fa-plus::before { content: "+"; }
.fa-fast-backward::before { content: "\\21E4"; }  .fa-fast-forward::before { content: "\\21E5"; }
.fa-step-backward::before { content: "\\2039"; }  .fa-step-forward::before { content: "\\203A"; }
.fa-play::before { content: "\\25B6\\FE0E"; }  .fa-pause::before { content: "\\275A\\275A"; }
.fa-flip-horizontal { transform: scaleX(-1); }
</style>"""


def default_racers():
    """torch's SGD, SGD with momentum, RMSprop and Adam, with learning rates for Rosenbrock."""
    import torch

    return {
        "SGD": (torch_update(torch.optim.SGD), {"lr": 2e-3}),
        "SGD + momentum": (torch_update(torch.optim.SGD), {"lr": 2e-3, "momentum": 0.9}),
        "RMSprop": (torch_update(torch.optim.RMSprop), {"lr": 3e-2}),
        "Adam": (torch_update(torch.optim.Adam), {"lr": 1e-1, "beta1": 0.9, "beta2": 0.999}),
    }


def _racer(name, entry):
    """``(update, config)`` from ``update`` or ``(update, config)``; the config is copied."""
    update, config = (entry, {"lr": 1e-3}) if callable(entry) else entry
    if not callable(update):
        raise TypeError(f"racer {name!r}: expected update(w, dw, config) or (update, config), got {entry!r}")
    return update, dict(config)


class _Plot:
    """The race's drawing: the map (contours, minima, a path and a head per racer) and the losses.

    ``map`` and ``loss`` are two axes, in one figure (the export) or in two (the widget).
    ``draw_frame(k)`` shows every racer after ``k`` steps by moving the existing artists; the
    live widget and the static export both draw with it.
    """

    def __init__(self, map_axes, loss_axes, names):
        self.map, self.loss = map_axes, loss_axes
        self.figures = list(dict.fromkeys([map_axes.figure, loss_axes.figure]))
        self.contour = None
        self.minima, = self.map.plot([], [], "*", color="gold", mec="k", ms=15, zorder=3)
        self.saddles, = self.map.plot([], [], "+", color="k", ms=12, mew=2, zorder=3)
        self.start, = self.map.plot([], [], "o", mfc="none", mec="k", ms=9, zorder=3)
        self.lines, self.heads, self.curves, self.dots = {}, {}, {}, {}
        for i, name in enumerate(names):  # later racers are drawn over earlier ones
            color = f"C{i % 10}"
            self.lines[name], = self.map.plot([], [], "-", color=color, lw=1.6, zorder=4 + i / 100)
            self.heads[name], = self.map.plot([], [], "o", color=color, mec="k", ms=8, zorder=5 + i / 100)
            self.curves[name], = self.loss.plot([], [], "-", color=color, lw=1.4, label=name, zorder=2 + i / 100)
            self.dots[name], = self.loss.plot([], [], "o", color=color, mec="k", ms=6, zorder=3 + i / 100)
        self.cursor = self.loss.axvline(0, color="0.3", lw=1, ls=":")
        self.loss.set(yscale="log", xlabel="step")
        self.loss.set_title(r"$f(w_t) - f_{\min}$", fontsize="medium")
        # fewer tick labels: laying out text is most of a frame's render time
        self.loss.yaxis.set_minor_locator(NullLocator())
        self.loss.locator_params(axis="x", nbins=5)
        self.map.locator_params(nbins=4)
        self.loss.grid(True, which="major", alpha=0.3)
        self.legend = self.loss.legend(loc="lower left", fontsize="small")
        self.paths, self.gaps, self.last, self.same = {}, {}, {}, {}

    def show_landscape(self, landscape):
        """Contours, minima, saddles, limits and title of ``landscape``."""
        if self.contour is not None:
            self.contour.remove()
        levels = landscape.f_min + landscape.levels()
        colors = colormaps["viridis"](np.linspace(0, 0.92, len(levels)))
        self.contour = self.map.contour(*landscape.grid(), levels=levels, colors=colors, linewidths=0.8, zorder=1)
        self.minima.set_data(*np.reshape(landscape.minima, (-1, 2)).T)
        self.saddles.set_data(*np.reshape(landscape.saddles, (-1, 2)).T)
        self.map.set(xlim=landscape.xlim, ylim=landscape.ylim, aspect="equal")
        self.map.set_title(landscape.formula, fontsize="medium")
        self.landscape = landscape

    def show_paths(self, paths, start):
        """Loss curves, legend and loss limits for ``paths`` (name -> (steps + 1, 2)) from ``start``.

        A racer whose path coincides with an earlier racer's is drawn dashed with a smaller head, so
        that both stay visible, and its legend entry says with whose path it coincides.
        """
        self.paths, steps = paths, len(next(iter(paths.values()))) - 1
        self.same = coinciding(paths)
        for (name, path), text, handle in zip(paths.items(), self.legend.get_texts(), self.legend.legend_handles):
            gap = self.landscape.loss_along(path) - self.landscape.f_min
            self.gaps[name] = np.where(np.isfinite(gap), gap, np.nan)
            self.last[name] = int(np.flatnonzero(np.isfinite(path).all(axis=1))[-1])
            self.curves[name].set_data(np.arange(len(path)), self.gaps[name])
            dashed = name in self.same
            for line in (self.lines[name], self.curves[name], handle):
                line.set_linestyle((0, (3, 3)) if dashed else "-")
            self.heads[name].set_markersize(5 if dashed else 8)
            self.dots[name].set_markersize(4 if dashed else 6)
            label = name
            if self.last[name] < steps:
                label += f" (diverged at step {self.last[name] + 1})"
            if dashed:
                label += f" (same path as {self.same[name]})"
            text.set_text(label)
        self.start.set_data([start[0]], [start[1]])
        self.loss.set(xlim=(0, steps), ylim=_loss_limits(self.gaps.values()))

    def draw_frame(self, k):
        """Show every racer after ``k`` steps; a diverged one stops at its last finite point, an X."""
        for name, path in self.paths.items():
            last = min(k, self.last[name])
            self.lines[name].set_data(path[: k + 1, 0], path[: k + 1, 1])
            self.heads[name].set_data(path[last : last + 1, 0], path[last : last + 1, 1])
            self.heads[name].set_marker("X" if k > self.last[name] else "o")
            self.dots[name].set_data([last], self.gaps[name][last : last + 1])
        self.cursor.set_xdata([k, k])
        return [*self.lines.values(), *self.heads.values(), *self.dots.values(), self.cursor]


def coinciding(paths, rtol=1e-6):
    """name -> the earlier racer whose path this racer's path coincides with, step for step.

    Paths coincide when every point agrees within ``rtol`` of the path's extent (NaN with NaN).
    """
    same, names = {}, list(paths)
    for k, name in enumerate(names):
        path = paths[name]
        finite = np.abs(path[np.isfinite(path)])
        scale = rtol * max(float(finite.max(initial=0.0)), 1.0)
        for earlier in names[:k]:
            with np.errstate(all="ignore"):
                close = np.allclose(path, paths[earlier], rtol=0, atol=scale, equal_nan=True)
            if close:
                same[name] = same.get(earlier, earlier)
                break
    return same


def _loss_limits(gaps):
    """y-limits for the loss curves: the positive finite gaps, at most 100 times the start's."""
    gaps = list(gaps)
    positive = np.concatenate([g[np.isfinite(g) & (g > 0)] for g in gaps])
    if positive.size == 0:
        return FLOOR, 1.0
    top = min(positive.max(), 100 * max(g[0] for g in gaps))
    return max(positive.min(), FLOOR) / 2, max(top, FLOOR) * 2


class Race:
    """Optimizers racing on a 2-D landscape, as a widget; ``to_html()`` for a static copy.

    racers: dict name -> ``(update, config)`` or name -> ``update`` (config ``{"lr": 1e-3}``);
        None for :func:`default_racers`. ``config`` holds hyperparameters such as ``lr``,
        ``momentum``, ``beta1``, ``beta2``, ``eps``; the race copies it and never changes yours.
    landscape: a name in ``LANDSCAPES`` or a :class:`~trainlab.landscapes.Landscape`.
    start: (2,), default ``landscape.start``; steps: updates per racer.
    After construction, ``race.paths[name]`` is that racer's path (steps + 1, 2), NaN once diverged.
    """

    def __init__(self, racers=None, landscape="rosenbrock", start=None, steps=200):
        racers = default_racers() if racers is None else racers
        self.racers = {name: _racer(name, entry) for name, entry in racers.items()}
        self.landscape = landscape if isinstance(landscape, Landscape) else LANDSCAPES[landscape]
        self.landscapes = {**LANDSCAPES, self.landscape.name: self.landscape}
        self.start = np.array(self.landscape.start if start is None else start, dtype=np.float64)
        self.steps = steps
        self.paths = {}

        map_figure, loss_figure = Figure(figsize=MAP_SIZE), Figure(figsize=LOSS_SIZE)
        map_figure.subplots_adjust(left=0.12, right=0.96, bottom=0.1, top=0.9)
        loss_figure.subplots_adjust(left=0.14, right=0.97, bottom=0.13, top=0.9)
        self.plot = _Plot(map_figure.add_subplot(), loss_figure.add_subplot(), list(self.racers))
        self.canvas, self.loss_canvas = canvas_widget(map_figure), canvas_widget(loss_figure)
        self.canvas.mpl_connect("button_press_event", self._on_click)

        self._build_controls()
        self.plot.show_landscape(self.landscape)
        self._recompute(self.racers)

    def _build_controls(self):
        self.play = widgets.Play(value=self.steps, min=0, max=self.steps, interval=40)  # 25 steps a second
        self.step_slider = widgets.IntSlider(self.steps, min=0, max=self.steps, description="step")
        widgets.jslink((self.play, "value"), (self.step_slider, "value"))
        self.step_slider.observe(lambda change: self._draw(), "value")
        self.landscape_dropdown = widgets.Dropdown(options=list(self.landscapes), value=self.landscape.name,
                                                   description="landscape")
        self.landscape_dropdown.observe(self._on_landscape, "value")

        style, layout = {"description_width": "120px"}, widgets.Layout(width="360px")
        self.lr_sliders = {}
        for name, (_, config) in self.racers.items():
            if "lr" in config:
                exponent = math.floor(math.log10(config["lr"]))
                slider = widgets.FloatLogSlider(config["lr"], min=exponent - 3, max=exponent + 2, step=0.05,
                                                description=name, readout_format=".2g", style=style, layout=layout)
                slider.observe(lambda change, name=name: self._set(name, "lr", change["new"]), "value")
                self.lr_sliders[name] = slider
        self.shared_sliders = {}
        for key, (low, high, step) in SHARED.items():
            values = [config[key] for _, config in self.racers.values() if key in config]
            if values:
                slider = widgets.FloatSlider(values[0], min=low, max=high, step=step, description=key,
                                             readout_format=".4g", style=style, layout=layout)
                slider.observe(lambda change, key=key: self._set_shared(key, change["new"]), "value")
                self.shared_sliders[key] = slider

        self.step_slider.layout.width = "300px"
        self.landscape_dropdown.layout.width = "240px"
        self.widget = themed([
            wrapping([self.canvas, self.loss_canvas], figures=True),
            wrapping([self.play, self.step_slider, self.landscape_dropdown]),
            wrapping([widgets.VBox([widgets.HTML("<b>learning rates</b>"), *self.lr_sliders.values()]),
                      widgets.VBox([widgets.HTML("<b>shared</b>" if self.shared_sliders else ""),
                                    *self.shared_sliders.values()])]),
            widgets.HTML("<i>Click on the map to start the race from there.</i>"),
        ])

    def _recompute(self, names):
        """Run the racers ``names`` again, each on a fresh copy of its config; redraw."""
        for name in names:
            update, config = self.racers[name]
            with np.errstate(all="ignore"):
                self.paths[name] = follow(update, self.landscape.gradient, self.start, self.steps,
                                          copy.deepcopy(config))
        self.plot.show_paths(self.paths, self.start)
        self._draw()

    def _draw(self):
        self.plot.draw_frame(self.step_slider.value)
        self.canvas.draw_idle()
        self.loss_canvas.draw_idle()

    def _set(self, name, key, value):
        self.racers[name][1][key] = value
        self._recompute([name])

    def _set_shared(self, key, value):
        names = [name for name, (_, config) in self.racers.items() if key in config]
        for name in names:
            self.racers[name][1][key] = value
        self._recompute(names)

    def _on_landscape(self, change):
        self.landscape = self.landscapes[change["new"]]
        self.start = np.array(self.landscape.start, dtype=np.float64)
        self.plot.show_landscape(self.landscape)
        self._recompute(self.racers)

    def _on_click(self, event):
        if event.inaxes is self.plot.map and event.button == MouseButton.LEFT:
            self.start = np.array([event.xdata, event.ydata], dtype=np.float64)
            self._recompute(self.racers)

    def __repr__(self):
        return (f"Race({', '.join(self.racers)} on {self.landscape.name}, {self.steps} steps "
                f"from ({self.start[0]:.3g}, {self.start[1]:.3g}))")

    def _repr_mimebundle_(self, **kwargs):
        """The widget for JupyterLab, with the repr as plain-text fallback."""
        return {**self.widget._repr_mimebundle_(**kwargs), "text/plain": repr(self)}

    def to_html(self, frames=60):
        """The race as a standalone HTML player (matplotlib's ``to_jshtml``) of at most ``frames`` frames.

        Drawn on a figure of its own with the same ``draw_frame``, so the widget is untouched.
        The HTML needs no kernel and no network.
        """
        figure = Figure(figsize=FIGSIZE, dpi=EXPORT_DPI)  # draws only when saved
        figure.subplots_adjust(left=0.05, right=0.98, bottom=0.12, top=0.9, wspace=0.2)
        plot = _Plot(*figure.subplots(1, 2, width_ratios=[1, 1.3]), list(self.racers))
        plot.show_landscape(self.landscape)
        plot.show_paths(self.paths, self.start)
        steps = np.unique(np.linspace(0, self.steps, min(frames, self.steps + 1)).round().astype(int))
        animation = FuncAnimation(figure, plot.draw_frame, frames=steps, interval=100)
        with rc_context({"animation.frame_format": "jpeg"}):  # a third of the size of png frames
            player = animation.to_jshtml(default_mode="once")
        return re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">', lambda _: ICONS, player)

    def save_html(self, path, frames=60):
        """Write :meth:`to_html` as an HTML document to ``path``."""
        title = html.escape(repr(self))
        with open(path, "w", encoding="utf-8") as file:
            file.write(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
                       f"<body>\n{self.to_html(frames)}\n</body></html>\n")
