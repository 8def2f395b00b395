"""How fast the deep-MLP statistics widget redraws: ``python tests/benchmarks/bench_deepnet.py``.

Prints a table: layer_statistics at three depths, building the widget, a redraw after a control
changes (a new setting: one network computed, one render), a redraw from the cache, and the
render alone. The widget renders a PNG with Agg; the front end only shows it.
"""

import io
import itertools


from trainlab.data import digits
from trainlab.deepnet import ACTIVATIONS, INITS, DeepNetWidget, layer_statistics

from timing import header, row, timings


def main():
    X, y = digits()
    x, labels = (X[:128] - X.mean(axis=0)) / X.std(), y[:128]
    header()
    layer_statistics(x, labels, depth=2)  # torch's one-off start-up
    for depth in (10, 30, 50):
        row(f"layer_statistics, {depth} layers of 100, batch of 128",
            timings(lambda i: layer_statistics(x, labels, depth=depth, norm="batch"), 10))
    row("DeepNetWidget() (two 30-layer networks, one render)",
        timings(lambda i: DeepNetWidget(x, labels, depth=30, norm="batch"), 5))

    widget = DeepNetWidget(x, labels, depth=50, norm="batch")
    settings = itertools.cycle(itertools.product(INITS, ACTIVATIONS))

    def new_setting(i):
        widget.init.value, widget.activation.value = next(settings)

    widget.init.value = "He"
    row("redraw, 50 layers, a new setting", timings(lambda i: setattr(widget.depth, "value", 50 - i % 2), 2),
        "depth 49 and 50: normalized and plain network")
    row("redraw, 50 layers, another normalization", timings(
        lambda i: setattr(widget.norm, "value", ["layer", "batch"][i % 2]), 10), "from the cache after 2")
    row("redraw, 50 layers, a new init or activation", timings(new_setting, len(INITS) * len(ACTIVATIONS)),
        "computes the plain network too")
    row("render alone (PNG, Agg)", timings(lambda i: widget.figure.savefig(io.BytesIO(), format="png"), 20))


if __name__ == "__main__":
    main()
