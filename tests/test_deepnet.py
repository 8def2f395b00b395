"""The deep-MLP statistics: torch's numbers equal a numpy network built from the chapter 5 reference
layers; the widget's controls redraw the right curves; headless use is quick and quiet."""

import base64

import nbformat
import numpy as np
import pytest
import torch
from nbclient import NotebookClient

from trainlab.checks import check_close
from trainlab.data import digits
from trainlab.deepnet import ACTIVATIONS, INITS, DeepNetWidget, layer_statistics, weights
from trainlab.grading import reference

ACTIVATION = {"tanh": (np.tanh, lambda h: 1 - h**2),
              "ReLU": (lambda a: np.maximum(a, 0), lambda h: (h > 0).astype(float)),
              "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), lambda h: h * (1 - h))}


@pytest.fixture(scope="module")
def batch():
    X, y = digits()
    return (X[:60] - X.mean(axis=0)) / X.std(), y[:60]


def numpy_statistics(x, labels, depth, width, init, norm, activation):
    """The module's network in numpy, normalised with the chapter's reference layers."""
    phi, derivative = ACTIVATION[activation]
    layers = {"batch": ("batchnorm", {"mode": "train"}), "layer": ("layernorm", {})}
    *hidden, classifier = weights(x.shape[1], labels.max() + 1, depth, width, init)
    h, activations, caches = x, [], []
    for W in hidden:
        a, cache = h @ W, None
        if norm != "none":
            name, param = layers[norm]
            a, cache = reference("05_normalization", f"{name}_forward")(a, np.ones(width), np.zeros(width), param)
        h = phi(a)
        activations.append(h)
        caches.append(cache)
    logits = h @ classifier
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    dh = (p / p.sum(axis=1, keepdims=True) - np.eye(len(classifier.T))[labels]) @ classifier.T
    gradients = []
    for W, h, cache in zip(hidden[::-1], activations[::-1], caches[::-1]):
        gradients.append(dh)
        da = dh * derivative(h)
        if norm != "none":
            da = reference("05_normalization", f"{layers[norm][0]}_backward")(da, cache)[0]
        dh = da @ W.T
    return {"activation_std": np.array([h.std() for h in activations]),
            "gradient_std": np.array([g.std() for g in gradients[::-1]])}


@pytest.mark.parametrize("norm", ["none", "batch", "layer"])
@pytest.mark.parametrize("activation, init", [("tanh", "Xavier"), ("ReLU", "He"), ("sigmoid", "N(0, 1)")])
def test_layer_statistics_equal_a_numpy_network_with_the_reference_layers(batch, norm, activation, init):
    x, labels = batch
    stats = layer_statistics(x, labels, depth=8, width=32, init=init, norm=norm, activation=activation)
    expected = numpy_statistics(x, labels, 8, 32, init, norm, activation)
    assert stats.keys() == expected.keys()
    for key, values in stats.items():
        assert values.shape == (8,)
        check_close(values, expected[key], name=key, rtol=1e-9, quiet=True)


def test_weights_have_the_initialisations_spread_and_a_seed_fixes_them():
    for init, std in INITS.items():
        layers = weights(64, 10, depth=3, width=500, init=init, seed=1)
        assert [w.shape for w in layers] == [(64, 500), (500, 500), (500, 500), (500, 10)]
        check_close(layers[1].std(), std(500, 500), rtol=0.01, name=f"{init} std", quiet=True)
    np.testing.assert_array_equal(weights(5, 2, 2, 4, seed=3)[1], weights(5, 2, 2, 4, seed=3)[1])
    assert not np.array_equal(weights(5, 2, 2, 4, seed=3)[1], weights(5, 2, 2, 4, seed=4)[1])


def test_normalization_keeps_the_signal_that_small_weights_lose(batch):
    x, labels = batch
    plain = layer_statistics(x, labels, depth=20, init="N(0, 0.01²)", norm="none")
    assert plain["activation_std"][-1] < 1e-15 and plain["gradient_std"][0] < 1e-15
    for norm in ("batch", "layer"):
        stats = layer_statistics(x, labels, depth=20, init="N(0, 0.01²)", norm=norm)
        assert np.all((stats["activation_std"] > 0.5) & (stats["activation_std"] < 1))
        assert np.all(stats["gradient_std"] > 1e-3)


def test_an_overflow_comes_back_as_nan_and_torch_keeps_its_threads(batch):
    x, labels = batch
    threads = torch.get_num_threads()
    stats = layer_statistics(x[:8], labels[:8], depth=400, width=16, init="N(0, 1)", activation="ReLU")
    assert torch.get_num_threads() == threads
    assert np.isfinite(stats["activation_std"][:5]).all() and np.isnan(stats["activation_std"][-1])
    with pytest.raises(ValueError, match="norm must be one of"):
        layer_statistics(x, labels, depth=2, norm="group")


def test_the_controls_redraw_the_chosen_network_and_the_plain_one_for_comparison(batch, monkeypatch):
    x, labels = batch
    widget = DeepNetWidget(x, labels, depth=6, init="Xavier", norm="none", activation="tanh", width=32)
    first_png = bytes(widget.image.value)
    assert first_png.startswith(b"\x89PNG")
    assert not widget.plain["activation_std"].get_visible()
    calls = []
    monkeypatch.setattr("trainlab.deepnet.layer_statistics",
                        lambda *args: calls.append(args) or layer_statistics(*args))
    widget.depth.value, widget.activation.value, widget.norm.value = 9, "ReLU", "batch"
    expected = layer_statistics(x, labels, 9, 32, "Xavier", "batch", "ReLU")
    plain = layer_statistics(x, labels, 9, 32, "Xavier", "none", "ReLU")
    for key, line in widget.lines.items():
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 10))
        np.testing.assert_array_equal(line.get_ydata(), expected[key])
        np.testing.assert_array_equal(widget.plain[key].get_ydata(), plain[key])
        assert widget.plain[key].get_visible() and line.get_color() == "C1"
        low, high = widget.lines[key].axes.get_ylim()
        assert low <= min(expected[key].min(), plain[key].min()) and high >= max(expected[key].max(), plain[key].max())
    assert [t.get_text() for t in widget.legend.get_texts()] == ["batch norm", "no normalization"]
    assert "9 layers of 32 ReLU units, Xavier weights, normalization: batch" in widget.figure._suptitle.get_text()
    assert bytes(widget.image.value) != first_png
    count = len(calls)
    widget.norm.value = "layer"
    widget.norm.value = "batch"  # cached: no new computation
    assert len(calls) == count + 1
    assert set(widget.init.options) == set(INITS) and set(widget.activation.options) == set(ACTIVATIONS)


def test_the_widget_displays_as_itself_with_a_static_picture(batch):
    x, labels = batch
    widget = DeepNetWidget(x, labels, depth=4, width=16)
    bundle = widget._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.widget.model_id
    assert base64.b64decode(bundle["image/png"]) == bytes(widget.image.value)
    assert bundle["text/plain"] == "DeepNetWidget(depth=4, init='Xavier', norm='none', activation='tanh')"
    figure_box = widget.widget.children[1]  # after the theme's style element
    assert figure_box.children == (widget.image,) and "trainlab-figure" in figure_box._dom_classes


NOTEBOOK_CELLS = [
    "import time\nimport matplotlib.pyplot as plt\nimport numpy as np\nimport torch\n"
    "from trainlab.data import digits\nX, y = digits()\nx = (X[:128] - X.mean(axis=0)) / X.std()",
    "t = time.perf_counter()\nfrom trainlab.deepnet import DeepNetWidget\n"
    "DeepNetWidget(x, y[:128], depth=30, norm='batch')",
    "print(time.perf_counter() - t)",
    "plt.plot([1, 2]); plt.show()",
]


def test_headless_notebook_runs_quietly_and_pyplot_keeps_its_backend():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [o for cell in notebook.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    (widget,) = notebook.cells[1].outputs
    assert "application/vnd.jupyter.widget-view+json" in widget.data and "image/png" in widget.data
    print(f"import, two 30-layer networks and one render: {float(notebook.cells[2].outputs[0].text):.2f} s")
    (figure,) = notebook.cells[3].outputs  # a plain inline picture, not an ipympl widget
    assert "image/png" in figure.data and "application/vnd.jupyter.widget-view+json" not in figure.data
