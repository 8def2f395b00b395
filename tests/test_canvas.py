"""trainlab.canvas: the interactive figures are ipympl widgets, and pyplot keeps its own backend."""

import nbformat
from matplotlib.figure import Figure
from nbclient import NotebookClient

from trainlab.canvas import canvas_widget


def test_canvas_widget_shows_only_the_figure():
    canvas = canvas_widget(Figure())
    assert not (canvas.toolbar_visible or canvas.header_visible or canvas.footer_visible or canvas.resizable)
    assert "application/vnd.jupyter.widget-view+json" in canvas._repr_mimebundle_()


def test_after_the_widget_modules_plt_show_still_draws_an_inline_picture():
    cells = ["import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()",
             "import trainlab.race, trainlab.trace\nplt.plot([2, 1]); plt.show()"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    for cell in notebook.cells:
        (figure,) = cell.outputs
        assert "image/png" in figure.data and "application/vnd.jupyter.widget-view+json" not in figure.data
