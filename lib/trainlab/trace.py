"""Step through an evaluation trace: primal, tangent and adjoint values on the computational graph.

    from trainlab.trace import Node, TraceView
    # f(x1, x2) = x1 x2 at (1.5, 0.5): name, formula, parents, primal, tangent along (1, 0), adjoint
    nodes = [Node("v1", "x1", (), 1.5, 1.0, 0.5), Node("v2", "x2", (), 0.5, 0.0, 1.5),
             Node("v3", "v1 · v2", (0, 1), 0.75, 0.5, 1.0)]
    TraceView(nodes, title="f(x1, x2) = x1 · x2 at (1.5, 0.5)")

A trace is a list of nodes in evaluation order; each node names the earlier nodes it reads.
The view steps through the forward sweep (node by node, primal and tangent values appear) and
then the reverse sweep (from the output back, adjoint values appear), with the graph drawn and
the current node and the edges its values travel along highlighted. It shows the numbers it is
given, for example your own primal, tangent and adjoint tables, and computes none itself.

As in :mod:`trainlab.race`, the figure is an ipympl canvas widget (:mod:`trainlab.canvas`), a step
only recolours existing artists and changes texts, and nothing is rendered headless.
"""

import html
import math
from dataclasses import dataclass

import ipywidgets as widgets
from matplotlib.figure import Figure

from .canvas import canvas_widget, themed, wrapping

FIGSIZE = (4.4, 3.0)  # inches at 100 dpi: 440 pixels, fits the output area of a notebook 570 pixels wide
COLORS = {"waiting": "white", "primal": "#cfe2f3", "adjoint": "#d9ead3", "current": "#f6b26b",
          "edge": "0.75", "active edge": "#e69138"}


@dataclass(frozen=True)
class Node:
    """One step of an evaluation trace.

    name: what the trace calls it, e.g. "v3"; formula: what it computes, e.g. "v1 · v2" ("x1" for
    an input); parents: indices of the earlier nodes it reads; primal, tangent, adjoint: its values
    (NaN where not known: the view shows a dash).
    """

    name: str
    formula: str
    parents: tuple = ()
    primal: float = math.nan
    tangent: float = math.nan
    adjoint: float = math.nan


def depths(nodes):
    """Longest path from an input to each node (inputs have depth 0): the graph's columns."""
    depth = []
    for node in nodes:
        depth.append(1 + max((depth[p] for p in node.parents), default=-1))
    return depth


def layout(nodes):
    """(x, y) per node: a column per depth, the nodes of a column spread evenly top to bottom."""
    depth = depths(nodes)
    columns = {}
    for index, d in enumerate(depth):
        columns.setdefault(d, []).append(index)
    position = [None] * len(nodes)
    for d, members in columns.items():
        for row, index in enumerate(members):
            position[index] = (float(d), (len(members) - 1) / 2 - row)
    return position


def _number(value):
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


class TraceView:
    """An evaluation trace as a widget: a step slider through the forward and the reverse sweep.

    nodes: list of :class:`Node` in evaluation order; the last one is the output f.
    title: shown above the graph, e.g. where the trace is evaluated and along which direction.
    Steps 0 .. n-1 compute node 0 .. n-1 (primal and tangent); steps n .. 2n-1 give the adjoints
    of node n-1 back to node 0. ``view.step`` is the step shown.
    """

    def __init__(self, nodes, title=""):
        self.nodes = [node if isinstance(node, Node) else Node(*node) for node in nodes]
        if not self.nodes:
            raise ValueError("a trace needs at least one node")
        for index, node in enumerate(self.nodes):
            bad = [p for p in node.parents if not 0 <= p < index]
            if bad:
                raise ValueError(f"node {index} ({node.name}) reads {bad}: parents must be earlier nodes")
        self.children = [[] for _ in self.nodes]
        for index, node in enumerate(self.nodes):
            for parent in dict.fromkeys(node.parents):  # x * x reads x twice: one edge
                self.children[parent].append(index)
        self.title = title
        self._draw_graph()
        self._build_controls()
        self._draw(0)

    @property
    def steps(self):
        return 2 * len(self.nodes)

    def _draw_graph(self):
        self.figure = Figure(figsize=FIGSIZE)
        self.canvas = canvas_widget(self.figure)
        self.figure.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.88)
        ax = self.axes = self.figure.add_subplot()
        ax.set_axis_off()
        if self.title:
            ax.set_title(self.title, fontsize="medium", wrap=True)
        self.positions = layout(self.nodes)
        xs, ys = zip(*self.positions)
        ax.set(xlim=(min(xs) - 0.5, max(xs) + 0.5), ylim=(min(ys) - 0.8, max(ys) + 0.6))
        self.edges = {}
        for index, children in enumerate(self.children):
            for child in children:
                self.edges[index, child] = ax.annotate(
                    "", xy=self.positions[child], xytext=self.positions[index],
                    arrowprops=dict(arrowstyle="-|>", color=COLORS["edge"], lw=1.5,
                                    shrinkA=16, shrinkB=16))
        self.circles = ax.scatter(xs, ys, s=900, c=[COLORS["waiting"]] * len(xs), edgecolors="0.3", zorder=3)
        self.labels = []
        for (x, y), node in zip(self.positions, self.nodes):
            ax.text(x, y, node.name, ha="center", va="center", fontsize=11, zorder=4)
            ax.text(x, y + 0.27, node.formula, ha="center", va="bottom", fontsize=8, color="0.35")
            self.labels.append(ax.text(x, y - 0.27, "", ha="center", va="top", fontsize=8, zorder=4))

    def _build_controls(self):
        last = self.steps - 1
        self.play = widgets.Play(value=0, min=0, max=last, interval=900)
        self.slider = widgets.IntSlider(0, min=0, max=last, description="step", readout=False)
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.slider.observe(lambda change: self._draw(change["new"]), "value")
        self.back = widgets.Button(description="◀ back", layout=widgets.Layout(width="90px"))
        self.next = widgets.Button(description="next ▶", layout=widgets.Layout(width="90px"))
        self.back.on_click(lambda _: self._move(-1))
        self.next.on_click(lambda _: self._move(+1))
        self.status = widgets.HTML()
        self.table = widgets.HTML()
        self.slider.layout.width = "260px"
        self.widget = themed([wrapping([self.canvas], figures=True),
                              wrapping([self.play, self.back, self.next, self.slider]), self.status, self.table])

    def _move(self, delta):
        self.slider.value = min(max(self.slider.value + delta, 0), self.steps - 1)

    def phase(self, step):
        """("forward", index of the node computed) or ("reverse", index of the node whose adjoint is found)."""
        n = len(self.nodes)
        if not 0 <= step < 2 * n:
            raise ValueError(f"steps run from 0 to {2 * n - 1}, not {step}")
        return ("forward", step) if step < n else ("reverse", 2 * n - 1 - step)

    def show(self, step):
        """Go to ``step``, as the slider does."""
        self.phase(step)  # checks the range
        self.slider.value = step

    def _draw(self, step):
        """Colours of nodes and edges, the values under the nodes, status line and table for ``step``."""
        sweep, current = self.phase(step)
        self.step = step
        colors = []
        for index, label in enumerate(self.labels):
            node = self.nodes[index]
            if sweep == "forward":
                known = index <= current
                colors.append(COLORS["primal"] if known else COLORS["waiting"])
                label.set_text(f"v = {_number(node.primal)}\nv̇ = {_number(node.tangent)}" if known else "")
            else:
                known = index >= current
                colors.append(COLORS["adjoint"] if known else COLORS["primal"])
                label.set_text(f"v = {_number(node.primal)}" + (f"\nv̄ = {_number(node.adjoint)}" if known else ""))
        colors[current] = COLORS["current"]
        self.circles.set_facecolor(colors)
        for (parent, child), arrow in self.edges.items():
            active = child == current if sweep == "forward" else parent == current
            arrow.arrow_patch.set_color(COLORS["active edge" if active else "edge"])
        self.status.value = self._status(sweep, current)
        self.table.value = self._table(sweep, current)
        self.canvas.draw_idle()

    def _status(self, sweep, current):
        node, n = self.nodes[current], len(self.nodes)
        if sweep == "forward":
            reads = ", ".join(self.nodes[p].name for p in node.parents) or "an input"
            return (f"<b>forward sweep</b>, step {current + 1} of {n}: {html.escape(node.name)} = "
                    f"{html.escape(node.formula)} (reads {html.escape(reads)}): primal "
                    f"{_number(node.primal)}, tangent {_number(node.tangent)}")
        children = ", ".join(self.nodes[c].name for c in self.children[current])
        source = f"collects from its children {children}" if children else "is the output: the seed ∂f/∂f"
        return (f"<b>reverse sweep</b>, step {n - current} of {n}: the adjoint of {html.escape(node.name)} "
                f"{html.escape(source)}: {_number(node.adjoint)}")

    def _table(self, sweep, current):
        head = "".join(f"<th style='padding:2px 10px'>{h}</th>" for h in
                       ("node", "computes", "primal v", "tangent v̇", "adjoint v̄"))
        rows = []
        for index, node in enumerate(self.nodes):
            forward_known = sweep == "reverse" or index <= current
            adjoint_known = sweep == "reverse" and index >= current
            cells = [node.name, node.formula,
                     _number(node.primal) if forward_known else "",
                     _number(node.tangent) if forward_known else "",
                     _number(node.adjoint) if adjoint_known else ""]
            style = f" style='background:{COLORS['current']};color:#000000'" if index == current else ""
            rows.append(f"<tr{style}>" + "".join(f"<td style='padding:2px 10px'>{html.escape(c)}</td>"
                                                   for c in cells) + "</tr>")
        return f"<div style='overflow-x:auto'><table><tr>{head}</tr>{''.join(rows)}</table></div>"

    def __repr__(self):
        lines = [self.title] if self.title else []
        lines.append(f"{'node':<6} {'computes':<16} {'primal':>10} {'tangent':>10} {'adjoint':>10}")
        for node in self.nodes:
            lines.append(f"{node.name:<6} {node.formula:<16} {_number(node.primal):>10} "
                         f"{_number(node.tangent):>10} {_number(node.adjoint):>10}")
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs):
        """The widget for JupyterLab, with the whole table as plain-text fallback."""
        return {**self.widget._repr_mimebundle_(**kwargs), "text/plain": repr(self)}
