"""The optimizer race: paths, frames drawn by moving artists, controls, divergence, export, headless use."""

import re
import warnings

import nbformat
import numpy as np
import pytest
import torch
from matplotlib.backend_bases import MouseButton, MouseEvent
from nbclient import NotebookClient

from trainlab.landscapes import LANDSCAPES
from trainlab.race import Race
from trainlab.trajectories import follow, torch_update

STEPS = 40


def gd(w, dw, config):
    """Plain gradient descent in numpy: a student's optimizer joining the race."""
    return w - config["lr"] * dw, config


def racers():
    return {
        "GD": gd,  # config {"lr": 1e-3}
        "GD fast": (gd, {"lr": 2e-3}),
        "momentum": (torch_update(torch.optim.SGD), {"lr": 1e-3, "momentum": 0.9}),
        "Adam": (torch_update(torch.optim.Adam), {"lr": 0.05, "beta1": 0.9, "beta2": 0.999}),
    }


@pytest.fixture
def race():
    return Race(racers(), steps=STEPS)


def expected_path(race, name, landscape=None):
    update, config = race.racers[name]
    landscape = landscape or race.landscape
    return follow(update, landscape.gradient, race.start, race.steps, config)


def click(race, axes, x, y):
    """A left click at data point (x, y) of ``axes``, through its figure's canvas's callbacks."""
    px, py = axes.transData.transform((x, y))
    canvas = axes.figure.canvas
    event = MouseEvent("button_press_event", canvas, px, py, button=MouseButton.LEFT)
    canvas.callbacks.process(event.name, event)


def test_every_racer_runs_its_update_from_the_start(race):
    rosenbrock = LANDSCAPES["rosenbrock"]
    assert race.landscape is rosenbrock and np.array_equal(race.start, rosenbrock.start)
    assert race.racers["GD"][1] == {"lr": 1e-3}
    for name in race.racers:
        assert race.paths[name].shape == (STEPS + 1, 2)
        np.testing.assert_array_equal(race.paths[name], expected_path(race, name))
    assert not np.array_equal(race.paths["GD"], race.paths["GD fast"])


def test_the_step_slider_moves_lines_heads_dots_and_cursor(race):
    plot = race.plot
    for k in (0, 7, STEPS):
        race.step_slider.value = k
        for name, path in race.paths.items():
            np.testing.assert_array_equal(np.transpose(plot.lines[name].get_data()), path[: k + 1])
            np.testing.assert_array_equal(np.transpose(plot.heads[name].get_data()), path[k : k + 1])
            gap = race.landscape.f(*path[k]) - race.landscape.f_min
            np.testing.assert_allclose(plot.dots[name].get_data(), [[k], [gap]], rtol=1e-12)
        assert list(plot.cursor.get_xdata()) == [k, k]


def test_a_frame_moves_the_same_artists_and_asks_for_a_draw(race, monkeypatch):
    draws = []
    monkeypatch.setattr(race.canvas, "draw_idle", lambda: draws.append("map"))
    monkeypatch.setattr(race.loss_canvas, "draw_idle", lambda: draws.append("loss"))
    before = [a for figure in race.plot.figures for a in figure.findobj()]
    race.step_slider.value = 5
    race.lr_sliders["GD"].value = 5e-4
    after = [a for figure in race.plot.figures for a in figure.findobj()]
    assert len(before) == len(after) and all(a is b for a, b in zip(before, after))
    assert draws == ["map", "loss"] * 2


def test_a_learning_rate_slider_reruns_only_its_racer(race):
    others = {name: race.paths[name].copy() for name in race.racers if name != "GD fast"}
    race.lr_sliders["GD fast"].value = 4e-3
    assert race.racers["GD fast"][1] == {"lr": 4e-3}
    np.testing.assert_array_equal(race.paths["GD fast"], follow(gd, race.landscape.gradient, race.start,
                                                                STEPS, {"lr": 4e-3}))
    for name, path in others.items():
        np.testing.assert_array_equal(race.paths[name], path)


def test_a_shared_slider_changes_only_the_racers_that_have_its_key(race):
    assert set(race.shared_sliders) == {"momentum", "beta1", "beta2"}
    gd_path, adam_path = race.paths["GD"].copy(), race.paths["Adam"].copy()
    race.shared_sliders["momentum"].value = 0.5
    assert race.racers["momentum"][1]["momentum"] == 0.5
    assert "momentum" not in race.racers["GD"][1] and "momentum" not in race.racers["Adam"][1]
    np.testing.assert_array_equal(race.paths["momentum"], expected_path(race, "momentum"))
    np.testing.assert_array_equal(race.paths["GD"], gd_path)
    np.testing.assert_array_equal(race.paths["Adam"], adam_path)
    race.shared_sliders["beta1"].value = 0.5
    assert not np.array_equal(race.paths["Adam"], adam_path)
    np.testing.assert_array_equal(race.paths["Adam"], expected_path(race, "Adam"))


def test_shared_sliders_only_for_keys_some_racer_has():
    race = Race({"GD": gd}, steps=5)
    assert race.shared_sliders == {} and list(race.lr_sliders) == ["GD"]


def counting_gd(w, dw, config):
    """Gradient descent that counts its calls in an array it changes in place."""
    config["calls"] += 1
    return w - config["lr"] * dw, config


def test_the_race_never_changes_the_callers_configs():
    config, counting = {"lr": 1e-3, "momentum": 0.9}, {"lr": 1e-3, "calls": np.zeros(1)}
    race = Race({"momentum": (torch_update(torch.optim.SGD), config), "counting": (counting_gd, counting)},
                steps=5)
    race.shared_sliders["momentum"].value = 0.3
    race.lr_sliders["counting"].value = 2e-3
    assert config == {"lr": 1e-3, "momentum": 0.9} and counting["calls"] == 0
    assert race.racers["counting"][1]["calls"] == 0  # every run starts from a fresh copy


def test_a_click_on_the_map_restarts_every_racer_there(race):
    click(race, race.plot.map, 0.5, -0.5)
    np.testing.assert_allclose(race.start, [0.5, -0.5], atol=1e-9)
    for name, path in race.paths.items():
        np.testing.assert_array_equal(path[0], race.start)
        np.testing.assert_array_equal(path, expected_path(race, name))
    np.testing.assert_array_equal(np.transpose(race.plot.start.get_data()), [race.start])
    click(race, race.plot.loss, 10, 1.0)  # the loss plot is no map
    np.testing.assert_allclose(race.start, [0.5, -0.5], atol=1e-9)


def buggy(w, dw, config):
    """An optimizer that divides by zero."""
    return w - config["lr"] * dw / 0.0, config


def test_a_diverging_racer_is_quiet_and_marked(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        race = Race({"GD": (gd, {"lr": 1.0}), "Adam": racers()["Adam"], "buggy": buggy}, steps=STEPS)
        race.step_slider.value = STEPS - 1
        race.to_html(frames=3)
    assert caught == [] and capsys.readouterr() == ("", "")
    path, last = race.paths["GD"], race.plot.last["GD"]
    assert last < STEPS and np.isfinite(path[: last + 1]).all() and not np.isfinite(path[last + 1 :]).any()
    labels = [t.get_text() for t in race.plot.legend.get_texts()]
    assert labels == [f"GD (diverged at step {last + 1})", "Adam", "buggy (diverged at step 1)"]
    head = race.plot.heads["GD"]
    assert head.get_marker() == "X" and np.array_equal(np.transpose(head.get_data()), path[last : last + 1])
    assert race.plot.heads["Adam"].get_marker() == "o"


def test_the_landscape_dropdown_swaps_contours_minima_and_paths(race):
    old_contour = race.plot.contour
    race.landscape_dropdown.value = "saddle"
    saddle = LANDSCAPES["saddle"]
    assert race.landscape is saddle and np.array_equal(race.start, saddle.start)
    plot = race.plot
    assert plot.contour is not old_contour and old_contour not in plot.map.get_children()
    np.testing.assert_allclose(plot.contour.levels, saddle.f_min + saddle.levels())
    np.testing.assert_array_equal(np.transpose(plot.minima.get_data()), saddle.minima)
    np.testing.assert_array_equal(np.transpose(plot.saddles.get_data()), saddle.saddles)
    assert plot.map.get_xlim() == saddle.xlim and plot.map.get_title() == saddle.formula
    for name in race.racers:
        np.testing.assert_array_equal(race.paths[name], expected_path(race, name, saddle))


def test_a_custom_landscape_joins_the_dropdown():
    import dataclasses

    bowl = dataclasses.replace(LANDSCAPES["quadratic"], name="my bowl", start=(1.0, 1.0))
    race = Race({"GD": gd}, landscape=bowl, start=(2.0, -1.0), steps=5)
    assert race.landscape_dropdown.value == "my bowl" and "rosenbrock" in race.landscape_dropdown.options
    np.testing.assert_array_equal(race.paths["GD"][0], [2.0, -1.0])


def without_images(html):
    return re.sub(r'"data:image/\w+;base64,[^"]*"', '""', html)


def test_to_html_is_a_standalone_player_of_the_same_frames(race, tmp_path):
    race.step_slider.value = 3
    line_data = race.plot.lines["GD"].get_data()
    html = race.to_html(frames=5)
    assert len(re.findall(r'frames\[\d+\] = "data:image/jpeg;base64,', html)) == 5
    text = without_images(html).lower()
    assert "<script" in text and "animation(" in text
    for outside in ("http", "kernel", "comm", "jupyter-widgets", "widget-view"):
        assert outside not in text
    np.testing.assert_array_equal(race.plot.lines["GD"].get_data(), line_data)  # the widget is untouched
    assert len(re.findall(r'frames\[\d+\] = "data:', Race({"GD": gd}, steps=3).to_html())) == 4
    race.save_html(tmp_path / "race.html", frames=2)
    document = (tmp_path / "race.html").read_text(encoding="utf-8")
    assert document.startswith("<!DOCTYPE html>") and document.rstrip().endswith("</html>")
    assert len(re.findall(r'frames\[\d+\] = "data:', document)) == 2


def test_the_race_displays_as_its_widget(race):
    bundle = race._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == race.widget.model_id
    assert bundle["text/plain"].startswith("Race(GD, GD fast, momentum, Adam on rosenbrock, 40 steps")
    figures = [box for box in race.widget.children if "trainlab-figure" in box._dom_classes]
    assert [box.children for box in figures] == [(race.canvas, race.loss_canvas)]
    assert "trainlab-wrap" in figures[0]._dom_classes  # the losses go under the map when narrow


def test_the_default_race_is_a_sensible_race():
    race = Race()
    assert list(race.racers) == ["SGD", "SGD + momentum", "RMSprop", "Adam"]
    landscape = race.landscape
    for name, path in race.paths.items():
        assert np.isfinite(path).all(), name
        assert landscape.f(*path[-1]) < landscape.f(*path[0]), name


NOTEBOOK_CELLS = [
    "import time\nimport torch\nfrom trainlab.race import Race\n"
    "optimizer = torch.optim.SGD([torch.zeros(1)], lr=0.1)  # torch.optim's one-off imports: about 1 s",
    "t = time.perf_counter()\ndisplay(Race())\nelapsed = time.perf_counter() - t",
    "def gd(w, dw, config):\n    return w - config['lr'] * dw, config\n\n"
    "Race({'mine': gd, 'mine, faster': (gd, {'lr': 1.0})}, landscape='beale')",
    "print(elapsed)",
    "%matplotlib widget\nimport matplotlib.pyplot as plt\nRace({'mine': gd}, steps=10)",
    "print(plt.get_fignums())",
]


def test_headless_notebook_runs_fast_and_quiet():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [o for cell in notebook.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    for cell in notebook.cells[1:3] + notebook.cells[4:5]:
        (output,) = cell.outputs  # the widget only: no stray static image of the figure
        assert "application/vnd.jupyter.widget-view+json" in output.data and "image/png" not in output.data
    assert float(notebook.cells[3].outputs[0].text) < 1.0  # building and displaying the default race
    assert notebook.cells[5].outputs[0].text.strip() == "[]"  # pyplot knows nothing of the race's figure


def test_racers_on_the_same_path_are_dashed_and_the_legend_says_so():
    adam = racers()["Adam"]
    race = Race({"GD": gd, "Adam": adam, "your adam": adam, "twin": adam}, steps=STEPS)
    assert race.plot.same == {"your adam": "Adam", "twin": "Adam"}
    labels = [t.get_text() for t in race.plot.legend.get_texts()]
    assert labels == ["GD", "Adam", "your adam (same path as Adam)", "twin (same path as Adam)"]
    dashes = {name: race.plot.lines[name].get_linestyle() for name in race.racers}
    assert dashes["GD"] == dashes["Adam"] == "-" and dashes["your adam"] == "--"
    # drawn over the racer it hides, with a smaller head
    assert race.plot.lines["your adam"].get_zorder() > race.plot.lines["Adam"].get_zorder()
    assert race.plot.heads["your adam"].get_markersize() < race.plot.heads["Adam"].get_markersize()
    race.lr_sliders["your adam"].value = 0.02  # now it parts from torch's
    assert race.plot.same == {"twin": "Adam"} and race.plot.lines["your adam"].get_linestyle() == "-"
    assert race.plot.legend.get_texts()[2].get_text() == "your adam"
