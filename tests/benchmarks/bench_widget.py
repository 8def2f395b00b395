"""How fast the optimizer race is, Python side: ``python tests/benchmarks/bench_widget.py``.

Prints a table: building a Race, one frame (a step-slider change: moving the artists and
``draw_idle``), one render of the figure (what the front end waits for after each frame),
the trajectories of 5 racers x 500 steps, a learning-rate change, and the static export.
No front end is attached, so ``draw_idle`` only queues a message, as it does in JupyterLab.
Saves the frame and the trajectories for bench_table.py.
"""

import numpy as np
import torch

from trainlab.race import Race
from trainlab.trajectories import follow, torch_update

from timing import header, row, save_record, timings


def gd(w, dw, config):
    """Plain gradient descent in numpy, as a student would write it."""
    return w - config["lr"] * dw, config


def main():
    racers = {
        "GD (numpy)": gd,
        "GD lr 2e-3 (numpy)": (gd, {"lr": 2e-3}),
        "SGD + momentum (torch)": (torch_update(torch.optim.SGD), {"lr": 2e-3, "momentum": 0.9}),
        "RMSprop (torch)": (torch_update(torch.optim.RMSprop), {"lr": 3e-2}),
        "Adam (torch)": (torch_update(torch.optim.Adam), {"lr": 0.1, "beta1": 0.9, "beta2": 0.999}),
    }
    header()
    row("Race() construction, first (torch optimizers)", timings(lambda i: Race(), 1), "includes one-off imports")
    row("Race() construction (4 torch racers x 200)", timings(lambda i: Race(), 20))

    race = Race(racers, steps=500)
    figures = {"frame": row("frame: step slider change + draw_idle",
                            timings(lambda i: setattr(race.step_slider, "value", i), 200), "200 changes, 5 racers")}
    canvases = (race.canvas, race.loss_canvas)
    for canvas in canvases:
        canvas.syncing_data_url = False  # as once JupyterLab shows the canvas: no PNG copy in the model
        canvas.draw()
    sizes = " + ".join("{:.0f} x {:.0f}".format(*canvas.figure.bbox.size) for canvas in canvases)
    render = timings(lambda i: (race.plot.draw_frame(i), *(canvas.draw() for canvas in canvases)), 20)
    row(f"render {sizes} px + diff PNGs (ipympl)", render, "per frame the front end shows")

    def trajectories(i):
        for update, config in race.racers.values():
            follow(update, race.landscape.gradient, race.start, 500, config)

    figures["trajectories"] = row("trajectories: 5 racers x 500 steps", timings(trajectories, 20),
                                  "2 numpy + 3 torch_update racers")
    for name in ("GD (numpy)", "Adam (torch)"):
        update, config = race.racers[name]
        row(f"  of which {name}", timings(lambda i: follow(update, race.landscape.gradient, race.start, 500,
                                                           config), 20))
    lrs = np.geomspace(1e-3, 3e-3, 20)
    row("lr slider change: rerun one racer + redraw", timings(
        lambda i: setattr(race.lr_sliders["Adam (torch)"], "value", 0.1 * lrs[i] / 1e-3), 20), "Adam, 500 steps")

    default = Race()
    html = []
    row("static export: to_html(), 60 frames", timings(lambda i: html.append(default.to_html()), 1),
        f"{len(html[0]) / 1e6:.2f} MB of HTML")
    save_record("widget", figures)


if __name__ == "__main__":
    main()
