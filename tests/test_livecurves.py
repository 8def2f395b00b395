"""Live curves: lines follow the history, limits fit it, redraws are throttled, the last epoch always shows."""

import numpy as np
import pytest

import trainlab.livecurves as livecurves
from trainlab.livecurves import LiveCurves


def history(epochs):
    return {"train_loss": list(2.0 / np.arange(1, epochs + 1)), "test_loss": list(1.5 / np.arange(1, epochs + 1)),
            "test_accuracy": list(np.linspace(0.6, 0.9, epochs))}


class Shown:
    """Stands in for IPython's display machinery: records display() and handle.update() calls."""

    def __init__(self, monkeypatch):
        import IPython.core.interactiveshell
        import IPython.display

        self.calls = []
        monkeypatch.setattr(IPython.core.interactiveshell.InteractiveShell, "initialized", classmethod(lambda cls: True))
        monkeypatch.setattr(IPython.display, "display", self.display)

    def display(self, obj, display_id=None, raw=False):
        self.calls.append(("style", obj["text/html"]) if raw else ("display", obj._repr_png_()))
        return self

    def update(self, obj):
        self.calls.append(("update", obj._repr_png_()))


def test_lines_hold_the_history_and_the_limits_fit_it():
    curves = LiveCurves(10)
    curves.update(history(4))
    for key, values in history(4).items():
        np.testing.assert_array_equal(curves.lines[key].get_xdata(), [1, 2, 3, 4])
        np.testing.assert_array_equal(curves.lines[key].get_ydata(), values)
    low, high = curves.loss_axes.get_ylim()
    assert low < 1.5 / 4 and high > 2.0
    assert curves.accuracy_axes.get_ylim() == pytest.approx((0.55, 1.01))
    assert curves.loss_axes.get_xlim() == (0.5, 10.5)
    assert repr(curves) == "LiveCurves(train_loss, test_loss, test_accuracy: 4 of 10 epochs)"


def test_keys_missing_from_the_history_stay_empty():
    curves = LiveCurves(3, losses=("train_loss", "val_loss"), accuracies=())
    curves.update({"train_loss": [1.0, 0.5]})
    assert len(curves.lines["val_loss"].get_xdata()) == 0
    assert curves.png().startswith(b"\x89PNG")


def test_the_first_update_displays_and_later_ones_replace_it(monkeypatch):
    shown = Shown(monkeypatch)
    curves = LiveCurves(3, fps=1e9)  # no throttling
    for epoch in range(1, 4):
        curves.update(history(epoch))
    assert [kind for kind, _ in shown.calls] == ["style", "display", "update", "update"]
    assert 'class="trainlab-curves"' in shown.calls[0][1] and "invert" in shown.calls[0][1]  # the dark theme's
    assert shown.calls[0][1] != shown.calls[-1][1]


def test_redraws_are_throttled_but_the_last_epoch_always_shows(monkeypatch):
    shown = Shown(monkeypatch)
    clock = iter([0.0, 0.1, 0.2, 0.3, 0.4])
    monkeypatch.setattr(livecurves.time, "perf_counter", lambda: next(clock))
    curves = LiveCurves(4, fps=1.0)  # at most one redraw a second
    for epoch in range(1, 5):
        curves.update(history(epoch))
    assert [kind for kind, _ in shown.calls] == ["style", "display", "update"]  # epoch 1, then the last epoch
    assert shown.calls[-1][1] == curves.png()


def test_outside_ipython_nothing_is_displayed(capsys):
    curves = LiveCurves(2)
    curves.update(history(2))
    assert capsys.readouterr().out == ""
