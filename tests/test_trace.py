"""The evaluation-trace widget: layout, what each step reveals and highlights, controls, headless use."""

import math
import re

import nbformat
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from nbclient import NotebookClient

from trainlab.trace import COLORS, Node, TraceView, depths, layout, value_nodes

# f(x1, x2) = x1 x2 + exp(x1 x2) - sin(x2) at (1.5, 0.5): primals, tangents along (1, 0), adjoints
X1, X2 = 1.5, 0.5
PRIMALS = [X1, X2, X1 * X2, math.sin(X2), math.exp(X1 * X2), X1 * X2 - math.sin(X2),
           math.exp(X1 * X2) + X1 * X2 - math.sin(X2)]
TANGENTS = [1.0, 0.0, X2, 0.0, math.exp(X1 * X2) * X2, X2, math.exp(X1 * X2) * X2 + X2]
ADJOINTS = [(math.exp(X1 * X2) + 1) * X2, (math.exp(X1 * X2) + 1) * X1 - math.cos(X2), math.exp(X1 * X2) + 1,
            -1.0, 1.0, 1.0, 1.0]
NAMES = ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]
FORMULAS = ["x1", "x2", "v1 · v2", "sin v2", "exp v3", "v3 − v4", "v5 + v6"]
PARENTS = [(), (), (0, 1), (1,), (2,), (2, 3), (4, 5)]
CHILDREN = [[2], [2, 3], [4, 5], [5], [6], [6], []]


def trace_nodes():
    return [Node(*row) for row in zip(NAMES, FORMULAS, PARENTS, PRIMALS, TANGENTS, ADJOINTS)]


@pytest.fixture
def view():
    return TraceView(trace_nodes(), title="f at (1.5, 0.5)")


def table_rows(view):
    """The table's cells as text, one list per node."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", view.table.value)[1:]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]


def test_nodes_sit_in_columns_by_their_longest_path_from_an_input():
    nodes = trace_nodes()
    assert depths(nodes) == [0, 0, 1, 1, 2, 2, 3]
    positions = layout(nodes)
    assert [x for x, _ in positions] == [0, 0, 1, 1, 2, 2, 3]
    assert positions[0][1] > positions[1][1] and positions[6][1] == 0.0  # spread top to bottom, centred
    assert len(set(positions)) == len(positions)


def test_a_trace_must_read_only_earlier_nodes():
    with pytest.raises(ValueError, match="parents must be earlier"):
        TraceView([Node("a", "x"), Node("b", "a + c", (0, 2)), Node("c", "y")])
    with pytest.raises(ValueError, match="parents must be earlier"):
        TraceView([Node("a", "a + 1", (0,))])
    with pytest.raises(ValueError, match="at least one node"):
        TraceView([])


def test_the_forward_sweep_reveals_primals_and_tangents_up_to_the_current_node(view):
    assert view.steps == 14 and view.step == 0
    for step in range(7):
        view.show(step)
        assert view.phase(step) == ("forward", step)
        for index, cells in enumerate(table_rows(view)):
            assert cells[:2] == [NAMES[index], FORMULAS[index]]
            if index <= step:
                assert cells[2:4] == [f"{PRIMALS[index]:.4g}", f"{TANGENTS[index]:.4g}"]
            else:
                assert cells[2:4] == ["", ""]
            assert cells[4] == ""  # no adjoint before the reverse sweep
        assert "forward sweep" in view.status.value and f"step {step + 1} of 7" in view.status.value


def test_the_reverse_sweep_reveals_adjoints_from_the_output_back(view):
    for step in range(7, 14):
        view.show(step)
        current = 13 - step
        assert view.phase(step) == ("reverse", current)
        for index, cells in enumerate(table_rows(view)):
            assert cells[2:4] == [f"{PRIMALS[index]:.4g}", f"{TANGENTS[index]:.4g}"]
            assert cells[4] == (f"{ADJOINTS[index]:.4g}" if index >= current else "")
        status = view.status.value
        assert "reverse sweep" in status and f"{ADJOINTS[current]:.4g}" in status
        children = [NAMES[c] for c in CHILDREN[current]]
        assert (", ".join(children) in status) if children else "the output" in status


def test_the_current_node_and_the_edges_its_values_travel_along_are_highlighted(view):
    colour = {name: np.array(to_rgba(value)) for name, value in COLORS.items()}
    for step in range(14):
        view.show(step)
        sweep, current = view.phase(step)
        faces = view.circles.get_facecolor()
        for index in range(7):
            if index == current:
                expected = "current"
            elif sweep == "forward":
                expected = "primal" if index < current else "waiting"
            else:
                expected = "adjoint" if index > current else "primal"
            np.testing.assert_allclose(faces[index], colour[expected], err_msg=f"step {step}, node {index}")
        for (parent, child), arrow in view.edges.items():
            active = child == current if sweep == "forward" else parent == current
            expected = colour["active edge" if active else "edge"]
            np.testing.assert_allclose(arrow.arrow_patch.get_edgecolor(), expected)
        if sweep == "forward":
            assert view.labels[current].get_text() == (f"v = {PRIMALS[current]:.4g}\nv̇ = {TANGENTS[current]:.4g}")
        else:
            assert view.labels[current].get_text().endswith(f"v̄ = {ADJOINTS[current]:.4g}")


def test_a_step_changes_artists_and_asks_for_a_draw_without_making_new_ones(view, monkeypatch):
    draws = []
    monkeypatch.setattr(view.canvas, "draw_idle", lambda: draws.append(1))
    before = view.figure.findobj()
    view.slider.value = 9
    after = view.figure.findobj()
    assert len(before) == len(after) and all(a is b for a, b in zip(before, after))
    assert draws == [1] and view.step == 9


def test_a_node_reading_one_parent_twice_has_one_edge_from_it():
    view = TraceView([Node("x", "x", (), 3.0, 1.0, 6.0), Node("y", "x · x", (0, 0), 9.0, 6.0, 1.0)])
    assert list(view.edges) == [(0, 1)] and view.children == [[1], []]
    assert len([a for a in view.axes.get_children() if hasattr(a, "arrow_patch")]) == 1
    view.show(3)
    assert "children y:" in view.status.value


def test_the_buttons_step_and_stop_at_both_ends(view):
    view.next.click()
    view.next.click()
    assert view.step == 2 and view.slider.value == 2
    view.back.click()
    assert view.step == 1
    for _ in range(3):
        view.back.click()
    assert view.step == 0
    view.show(13)
    view.next.click()
    assert view.step == 13
    with pytest.raises(ValueError, match="steps run from 0 to 13"):
        view.show(14)


def test_missing_values_show_as_dashes_and_nothing_is_computed():
    view = TraceView([Node("a", "x", (), 2.0), Node("b", "a²", (0,), 4.0, adjoint=1.0)])
    view.show(1)
    assert table_rows(view)[1][2:4] == ["4", "–"]
    view.show(3)
    assert table_rows(view)[0][2:] == ["2", "–", "–"]
    assert TraceView([("a", "x", (), 1.0, 2.0, 3.0)]).nodes == [Node("a", "x", (), 1.0, 2.0, 3.0)]


def test_the_view_displays_as_its_widget_with_a_text_table(view):
    bundle = view._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.widget.model_id
    text = bundle["text/plain"].splitlines()
    assert text[0] == "f at (1.5, 0.5)" and text[1].split() == ["node", "computes", "primal", "tangent", "adjoint"]
    assert text[4].split() == ["v3", "v1", "·", "v2", f"{PRIMALS[2]:.4g}", f"{TANGENTS[2]:.4g}", f"{ADJOINTS[2]:.4g}"]
    assert view.canvas in view.widget.children[1].children and "trainlab-widget" in view.widget._dom_classes
    assert round(view.canvas.figure.bbox.width) <= 440  # fits the output area of a notebook 570 pixels wide


NOTEBOOK_CELLS = [
    "import time\nimport matplotlib.pyplot as plt\nfrom trainlab.trace import Node, TraceView",
    "t = time.perf_counter()\n"
    "display(TraceView([Node('x', 'x', (), 2.0, 1.0, 4.0), Node('y', 'x²', (0,), 4.0, 4.0, 1.0)]))\n"
    "elapsed = time.perf_counter() - t",
    "print(elapsed)",
    "plt.plot([1, 2]); plt.show()",
    "print(plt.get_fignums())",
]


def test_headless_the_view_is_fast_quiet_and_leaves_pyplot_inline():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [o for cell in notebook.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    (widget,) = notebook.cells[1].outputs
    assert "application/vnd.jupyter.widget-view+json" in widget.data and "image/png" not in widget.data
    assert float(notebook.cells[2].outputs[0].text) < 1.0
    (figure,) = notebook.cells[3].outputs  # an ordinary plot is still a static image, not an ipympl widget
    assert "image/png" in figure.data and "application/vnd.jupyter.widget-view+json" not in figure.data
    assert notebook.cells[4].outputs[0].text.strip() == "[]"


LOCALS = [(), (), (X2, X1), (math.cos(X2),), (math.exp(X1 * X2),), (1.0, -1.0), (1.0, 1.0)]


def test_the_reverse_sweep_shows_each_edges_contribution_and_the_sum_that_makes_the_adjoint():
    nodes = [Node(*row) for row in zip(NAMES, FORMULAS, PARENTS, PRIMALS, TANGENTS, ADJOINTS, LOCALS)]
    view = TraceView(nodes)
    view.show(12)  # the adjoint of v2 = v̄3 · v1 + v̄4 · cos v2
    assert view.phase(12) == ("reverse", 1)
    v3_term, v4_term = ADJOINTS[2] * X1, ADJOINTS[3] * math.cos(X2)
    assert math.isclose(v3_term + v4_term, ADJOINTS[1])
    assert f"v̄3 · {X1:.4g} + v̄4 · {math.cos(X2):.4g} = {v3_term:.4g} + {v4_term:.4g}" in view.status.value
    labels = {edge: text.get_text() for edge, text in view.edge_labels.items()}
    assert labels[1, 2] == f"v̄3·{X1:.4g} = {v3_term:.4g}"
    assert labels[1, 3] == f"v̄4·{math.cos(X2):.4g} = {v4_term:.4g}"
    assert all(text == "" for edge, text in labels.items() if edge[0] != 1)
    view.show(3)
    assert all(text.get_text() == "" for text in view.edge_labels.values())  # nothing during the forward sweep


def test_a_node_reading_a_parent_twice_sums_its_local_derivatives():
    view = TraceView([Node("x", "x", (), 3.0, 1.0, 6.0), Node("y", "x · x", (0, 0), 9.0, 6.0, 1.0, (3.0, 3.0))])
    assert view.local(0, 1) == 6.0 and view.contribution(0, 1) == 6.0
    view.show(3)
    assert "v̄(y) · 6 = 6" in view.status.value
    with pytest.raises(ValueError, match="1 local derivatives for 2 parents"):
        TraceView([Node("x", "x"), Node("y", "x · x", (0, 0), local=(3.0,))])


def test_entries_that_disagree_with_the_expected_values_are_marked():
    wrong = list(trace_nodes())
    wrong[3] = Node("v4", "sin v2", (1,), PRIMALS[3], TANGENTS[3], 1.0)             # the sign of v̄4 lost
    wrong[1] = Node("v2", "x2", (), X2, TANGENTS[1], ADJOINTS[1] * (1 + 1e-9))      # rounding: agrees
    view = TraceView(wrong, expected=trace_nodes())
    assert view.disagreements == [("v4", "adjoint", 1.0, -1.0)]
    view.show(13)
    rows = table_rows(view)
    assert rows[3][4] == "✗ 1 (expected -1)" and not any("✗" in cell for row in rows[:3] for cell in row)
    assert "1 entry disagree" in view.table.value and "v4 adjoint" in view.table.value
    triples = list(zip(PRIMALS, TANGENTS, ADJOINTS))
    assert TraceView(trace_nodes(), expected=triples).disagreements == []
    with pytest.raises(ValueError, match="expected has 2 entries for 7 nodes"):
        TraceView(trace_nodes(), expected=trace_nodes()[:2])


class Scalar:
    """A minimal reverse-mode scalar, as a student's engine would be."""

    def __init__(self, data, parents=(), op=""):
        self.data, self.grad, self.parents, self.op = data, 0.0, parents, op

    def __mul__(self, other):
        return Scalar(self.data * other.data, (self, other), "*")

    def __add__(self, other):
        return Scalar(self.data + other.data, (self, other), "+")

    def sin(self):
        return Scalar(math.sin(self.data), (self,), "sin")


def test_a_students_value_graph_is_drawn_with_data_and_grad():
    x, y = Scalar(1.5), Scalar(0.5)
    product = x * y
    out = product + product.sin()
    through = 1 + math.cos(0.75)   # d out / d product
    out.grad, product.grad, x.grad, y.grad = 1.0, through, 0.5 * through, 1.5 * through
    view = TraceView.from_value(out, title="mine")
    assert [node.formula for node in view.nodes] == ["input", "input", "v1 * v2", "sin v3", "v3 + v4"]
    assert [node.primal for node in view.nodes] == [1.5, 0.5, 0.75, math.sin(0.75), out.data]
    assert view.nodes[2].adjoint == product.grad and view.nodes[-1].parents == (2, 3)
    assert all(math.isnan(node.tangent) for node in view.nodes)
    chain = Scalar(0.1)
    for _ in range(3000):  # deeper than Python's recursion limit
        chain = chain.sin()
    assert len(value_nodes(chain)) == 3001
