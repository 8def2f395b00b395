"""Loss and accuracy curves that grow while a model trains.

    curves = LiveCurves(epochs=20)
    history = fit(..., on_epoch_end=curves.update)   # update(history) after every epoch

``update(history)`` takes the history so far, a dict of per-epoch lists such as ``train_loss``,
``test_loss`` and ``test_accuracy``, moves the existing lines to the new points, and shows the
figure: displayed on the first call, then replaced in place (an IPython display handle), at most
``fps`` times a second and always after the last epoch. So the curves update live in
JupyterLab while the cell runs, and the final picture stays in the saved notebook, in exported
HTML and in nbgrader's feedback. Outside IPython nothing is shown. Under JupyterLab's dark theme
the image is inverted like the other figures of the course (canvas.CURVES_CSS, in a hidden output
displayed just before it).
"""

import io
import time

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from .canvas import CURVES_CSS


class LiveCurves:
    """Two panels: losses (left, log scale) and accuracies (right), against the epoch.

    epochs: the number of epochs planned (the x-axis runs from 1 to it).
    losses, accuracies: the history keys to draw in each panel; keys missing from a history are skipped.
    fps: the most redraws per second.
    """

    def __init__(self, epochs, losses=("train_loss", "test_loss"), accuracies=("test_accuracy",), fps=4.0):
        self.epochs, self.fps = epochs, fps
        self.figure = Figure(figsize=(9, 3.2))
        self.loss_axes, self.accuracy_axes = self.figure.subplots(1, 2)
        self.lines, self.loss_keys, self.accuracy_keys = {}, list(losses), list(accuracies)
        for axes, keys in [(self.loss_axes, losses), (self.accuracy_axes, accuracies)]:
            for key in keys:
                self.lines[key], = axes.plot([], [], "o-", ms=3, color=f"C{len(self.lines) % 10}",
                                             label=key.replace("_", " "))
            axes.set(xlim=(0.5, epochs + 0.5), xlabel="epoch")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.grid(alpha=0.3)
            if keys:
                axes.legend(loc="upper right" if axes is self.loss_axes else "lower right", fontsize="small")
        self.loss_axes.set(yscale="log", ylim=(0.01, 3), title="loss")  # until the first losses come
        self.loss_axes.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        self.loss_axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        self.loss_axes.yaxis.set_minor_locator(NullLocator())
        self.accuracy_axes.set(ylim=(0, 1), title="accuracy")
        self.figure.tight_layout()
        self._handle, self._shown_at = None, -np.inf

    def update(self, history):
        """Move every line to ``history[key]`` (one value per epoch so far) and redraw if it is time."""
        done = 0
        for key, line in self.lines.items():
            values = np.asarray(history.get(key, []), dtype=np.float64)
            line.set_data(np.arange(1, len(values) + 1), values)
            done = max(done, len(values))
        losses = np.array([v for key in self.loss_keys for v in history.get(key, [])], dtype=np.float64)
        losses = losses[np.isfinite(losses) & (losses > 0)]
        if losses.size:
            self.loss_axes.set_ylim(losses.min() / 1.5, losses.max() * 1.5)
        accuracies = np.array([v for key in self.accuracy_keys for v in history.get(key, [])], dtype=np.float64)
        accuracies = accuracies[np.isfinite(accuracies)]
        if accuracies.size:
            self.accuracy_axes.set_ylim(max(0.0, accuracies.min() - 0.05), 1.01)
        if done >= self.epochs or time.perf_counter() - self._shown_at >= 1 / self.fps:
            self.show()

    def png(self):
        """The figure as PNG bytes, drawn from the lines as they are now."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def _repr_png_(self):
        return self.png()

    def show(self):
        """Display the figure below the running cell, or replace the one displayed before."""
        self._shown_at = time.perf_counter()
        try:
            from IPython.core.interactiveshell import InteractiveShell
            from IPython.display import display
        except ImportError:  # a plain Python script without IPython installed
            return
        if not InteractiveShell.initialized():
            return
        if self._handle is None:
            display({"text/html": f'<style class="trainlab-curves">{CURVES_CSS}</style>'}, raw=True)
            self._handle = display(self, display_id=True)
        else:
            self._handle.update(self)

    def __repr__(self):
        done = max((len(line.get_xdata()) for line in self.lines.values()), default=0)
        return f"LiveCurves({', '.join(self.lines)}: {done} of {self.epochs} epochs)"
