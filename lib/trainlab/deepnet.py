"""Signals in a deep MLP: activation and gradient statistics per layer, with and without normalization.

    from trainlab.deepnet import DeepNetWidget, layer_statistics
    stats = layer_statistics(x, labels, depth=20, init="Xavier", norm="batch", activation="tanh")
    DeepNetWidget(x, labels)     # depth, initialisation, normalization and activation as controls

The network has ``depth`` hidden layers ``h_l = activation(norm(h_{l-1} @ W_l))`` of ``width`` units
(no biases), then a linear classifier ``h_depth @ W_out`` and the cross-entropy summed over the
batch. The normalization is batch norm or layer norm as at initialisation (gamma = 1, beta = 0,
eps = 1e-5, batch statistics). Every weight is Gaussian with the standard deviation the chosen
initialisation gives. torch differentiates it in float64, on one thread: for matrices this
small, a second thread only adds overhead.
"""

import base64
import contextlib
import io
import math

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .canvas import themed, wrapping

# initialisation -> the weights' standard deviation for a (fan_in, fan_out) layer
INITS = {
    "N(0, 0.01²)": lambda fan_in, fan_out: 0.01,
    "Xavier": lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out)),
    "He": lambda fan_in, fan_out: math.sqrt(2 / fan_in),
    "N(0, 1)": lambda fan_in, fan_out: 1.0,
}
ACTIVATIONS = {"tanh": "tanh", "ReLU": "relu", "sigmoid": "sigmoid"}  # name -> torch function
NORMS = ("none", "batch", "layer")
COLORS = {"none": "C0", "batch": "C1", "layer": "C2"}
FIGSIZE = (8.4, 3.3)  # 840 x 330 pixels at 100 dpi; the image shrinks to a narrower notebook


def weights(n_in, n_classes, depth, width=100, init="Xavier", seed=0):
    """The network's weights: ``depth`` arrays (fan_in, width), then the classifier (width, n_classes).

    Drawn with ``np.random.default_rng(seed)``, float64, so a seed fixes them for every
    normalization and activation.
    """
    rng, shapes = np.random.default_rng(seed), []
    for layer in range(depth):
        shapes.append((n_in if layer == 0 else width, width))
    shapes.append((width, n_classes))
    return [rng.normal(0.0, INITS[init](*shape), size=shape) for shape in shapes]


@contextlib.contextmanager
def _one_thread(torch):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def layer_statistics(x, labels, depth=20, width=100, init="Xavier", norm="none", activation="tanh", seed=0):
    """Per hidden layer, the spread of the activations and of the loss gradient at them.

    x: (N, n_in) inputs; labels: (N,) integer classes; the other arguments as in the module docstring.
    Returns {"activation_std": (depth,), "gradient_std": (depth,)}: the standard deviation (dividing
    by N * width) of h_l and of dL/dh_l over the batch and the units. An overflow comes back as NaN.
    """
    import torch
    import torch.nn.functional as F

    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    phi = getattr(torch, ACTIVATIONS[activation])
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    *hidden, classifier = [torch.from_numpy(w).requires_grad_() for w in
                           weights(x.shape[1], int(labels.max()) + 1, depth, width, init, seed)]
    with _one_thread(torch):
        h, activations = torch.as_tensor(np.asarray(x), dtype=torch.float64), []
        for W in hidden:
            a = h @ W
            if norm == "batch":
                a = F.batch_norm(a, None, None, training=True, eps=1e-5)
            elif norm == "layer":
                a = F.layer_norm(a, a.shape[1:], eps=1e-5)
            h = phi(a)
            h.retain_grad()
            activations.append(h)
        F.cross_entropy(h @ classifier, labels, reduction="sum").backward()
        stats = {"activation_std": [h.std(correction=0) for h in activations],
                 "gradient_std": [h.grad.std(correction=0) for h in activations]}
    return {key: np.array([v.item() if math.isfinite(v.item()) else math.nan for v in values])
            for key, values in stats.items()}


def _limits(*arrays):
    """Log-axis limits around the positive finite values: at least a factor 100 apart."""
    values = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in arrays])
    if values.size == 0:
        values = np.ones(1)
    low, high = values.min() / 3, values.max() * 3
    middle = math.sqrt(low * high)
    return min(low, middle / 10), max(high, middle * 10)


class DeepNetWidget:
    """Activation and gradient spread per layer of a deep MLP, with controls: a PNG image, re-rendered.

    x: (N, n_in) inputs, labels: (N,) classes (a batch of real data); depth, init (a key of
    INITS), norm (one of NORMS), activation (a key of ACTIVATIONS) are the starting settings.
    The chosen network is drawn in its normalization's colour; when it is normalized, the same
    network without normalization is drawn dashed in grey for comparison. Results are cached
    per setting, so going back to a setting is instant. The figure is drawn with Agg into an
    ``ipywidgets.Image`` (no ipympl, whose import would switch pyplot's backend); a redraw is a
    recomputation (about 50 ms for 50 layers) and one render (about 50 ms).
    """

    def __init__(self, x, labels, depth=20, init="Xavier", norm="none", activation="tanh", width=100):
        self.x, self.labels, self.width = np.asarray(x, dtype=np.float64), np.asarray(labels), width
        self._cache = {}
        self.figure = Figure(figsize=FIGSIZE)
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.8, wspace=0.25)
        self.axes = self.figure.subplots(1, 2)
        self.lines, self.plain = {}, {}
        for ax, key, title in zip(self.axes, ("activation_std", "gradient_std"),
                                  ("activations: std of $h_l$", r"gradients: std of $\partial L / \partial h_l$")):
            self.plain[key], = ax.plot([], [], "--", color="0.6", lw=1.5, label="no normalization")
            self.lines[key], = ax.plot([], [], "o-", ms=3, lw=1.8)
            ax.set(yscale="log", xlabel="layer $l$")
            ax.set_title(title, fontsize="medium")
            ax.grid(True, which="major", alpha=0.3)
        self.legend = None

        FigureCanvasAgg(self.figure)
        self.image = widgets.Image(format="png")
        style = {"description_width": "90px"}
        self.depth = widgets.IntSlider(depth, min=2, max=50, description="depth", continuous_update=False,
                                       style=style)
        self.init = widgets.Dropdown(options=list(INITS), value=init, description="initialisation", style=style)
        self.norm = widgets.ToggleButtons(options=NORMS, value=norm, description="normalization", style=style)
        self.activation = widgets.ToggleButtons(options=list(ACTIVATIONS), value=activation,
                                                description="activation", style=style)
        for control in (self.depth, self.init, self.norm, self.activation):
            control.observe(lambda change: self.update(), "value")
        self.widget = themed([wrapping([self.image], figures=True), wrapping([self.depth, self.init]), self.norm,
                              self.activation])
        self.update()

    def statistics(self, norm=None):
        """layer_statistics for the current settings (with another ``norm`` if given), cached."""
        settings = (self.depth.value, self.init.value, norm or self.norm.value, self.activation.value)
        if settings not in self._cache:
            depth, init, norm, activation = settings
            self._cache[settings] = layer_statistics(self.x, self.labels, depth, self.width, init, norm,
                                                     activation)
        return self._cache[settings]

    def update(self):
        """Recompute (or take from the cache), move the lines, and render the figure into the image."""
        norm = self.norm.value
        chosen, plain = self.statistics(), self.statistics("none")
        layers = np.arange(1, self.depth.value + 1)
        for ax, key in zip(self.axes, self.lines):
            self.lines[key].set_data(layers, chosen[key])
            self.lines[key].set_color(COLORS[norm])
            self.plain[key].set_data(layers, plain[key])
            self.plain[key].set_visible(norm != "none")
            shown = [chosen[key]] + ([plain[key]] if norm != "none" else [])
            ax.set(xlim=(0.5, self.depth.value + 0.5), ylim=_limits(*shown))
        self.lines["gradient_std"].set_label(f"{norm} norm" if norm != "none" else "no normalization")
        if self.legend is not None:
            self.legend.remove()
        handles = [self.lines["gradient_std"]] + ([self.plain["gradient_std"]] if norm != "none" else [])
        self.legend = self.axes[1].legend(handles=handles, loc="best", fontsize="small")
        self.figure.suptitle(f"{self.depth.value} layers of {self.width} {self.activation.value} units, "
                             f"{self.init.value} weights, normalization: {norm}", fontsize="medium")
        png = io.BytesIO()
        self.figure.savefig(png, format="png")
        self.image.value = png.getvalue()

    def __repr__(self):
        return (f"DeepNetWidget(depth={self.depth.value}, init={self.init.value!r}, "
                f"norm={self.norm.value!r}, activation={self.activation.value!r})")

    def _repr_mimebundle_(self, **kwargs):
        """The widget for JupyterLab; the current picture and the repr as static fallbacks."""
        return {**self.widget._repr_mimebundle_(**kwargs), "image/png": base64.b64encode(self.image.value).decode("ascii"),
                "text/plain": repr(self)}
