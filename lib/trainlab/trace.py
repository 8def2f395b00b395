"""Step through an evaluation trace: primal, tangent and adjoint values on the computational graph.

    from trainlab.trace import Node, TraceView
    # f(x1, x2) = x1 x2 at (1.5, 0.5): name, formula, parents, primal, tangent along (1, 0), adjoint
    nodes = [Node("v1", "x1", (), 1.5, 1.0, 0.5), Node("v2", "x2", (), 0.5, 0.0, 1.5),
             Node("v3", "v1 · v2", (0, 1), 0.75, 0.5, 1.0)]
    TraceView(nodes, title="f(x1, x2) = x1 · x2 at (1.5, 0.5)")

A trace is a list of nodes in evaluation order; each node names the earlier nodes it reads.
The view steps through the forward sweep (node by node, primal and tangent values appear) and
then the reverse sweep (from the output back, adjoint values appear), with the graph drawn and
the current node and the edges its values travel along highlighted. When a node carries its local
derivatives (``local``), the reverse sweep writes each edge's contribution on the edge and the sum
that makes the adjoint in the status line, e.g. v̄2 = v̄3 · 1.5 + v̄4 · 0.878. Given ``expected``
values (from torch, say), the table marks every entry that disagrees. It shows the numbers it is
given, for example your own primal, tangent and adjoint tables, and computes none itself;
``TraceView.from_value(out)`` draws the graph of a scalar autodiff ``Value`` (data and grad).

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
    (NaN where not known: the view shows a dash); local: the local derivatives ∂node/∂parent, one per
    entry of parents (empty when not known).
    """

    name: str
    formula: str
    parents: tuple = ()
    primal: float = math.nan
    tangent: float = math.nan
    adjoint: float = math.nan
    local: tuple = ()


VALUES = ("primal", "tangent", "adjoint")


def agrees(value, expected, rtol=1e-6, atol=1e-9):
    """Whether a table entry matches its expected value (entries not given on either side agree)."""
    if expected is None or not math.isfinite(expected):
        return True
    return value is not None and math.isfinite(value) and math.isclose(value, expected, rel_tol=rtol, abs_tol=atol)


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


def _bar(name):
    """The adjoint's symbol: v̄3 for a node v3, v̄(y) for a node y."""
    return f"v̄{name[1:]}" if name[:1] == "v" and name[1:].isdigit() else f"v̄({name})"


def _number(value):
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


def value_nodes(root):
    """The nodes of a scalar autodiff value and of everything it was computed from.

    root: an object with data, grad and parents (or micrograd's _prev) and op (or _op), for
    example a Value of chapter 4 after root.backward(). Nodes are numbered v1, v2, ... in an
    order where parents come first; the adjoint column shows each node's grad.
    """
    def parents_of(value):
        return tuple(getattr(value, "parents", None) or getattr(value, "_prev", ()) or ())

    order, seen, stack = [], set(), [(root, False)]
    while stack:  # parents first, without recursion: graphs can be deep
        value, parents_done = stack.pop()
        if parents_done:
            order.append(value)
        elif id(value) not in seen:
            seen.add(id(value))
            stack.append((value, True))
            stack.extend((p, False) for p in reversed(parents_of(value)) if id(p) not in seen)
    index = {id(value): k for k, value in enumerate(order)}
    nodes = []
    for k, value in enumerate(order):
        parents = tuple(index[id(p)] for p in parents_of(value))
        op = str(getattr(value, "op", None) or getattr(value, "_op", "") or "")
        names = [f"v{p + 1}" for p in parents]
        if not parents:
            formula = "input"
        elif len(names) == 2 and op in {"+", "-", "*", "/"}:
            formula = f"{names[0]} {op} {names[1]}"
        else:
            formula = f"{op or 'f'} {' '.join(names)}".strip()
        nodes.append(Node(f"v{k + 1}", formula, parents, float(value.data), math.nan, float(value.grad)))
    return nodes


class TraceView:
    """An evaluation trace as a widget: a step slider through the forward and the reverse sweep.

    nodes: list of :class:`Node` in evaluation order; the last one is the output f.
    title: shown above the graph, e.g. where the trace is evaluated and along which direction.
    Steps 0 .. n-1 compute node 0 .. n-1 (primal and tangent); steps n .. 2n-1 give the adjoints
    of node n-1 back to node 0. ``view.step`` is the step shown.
    expected: optional nodes (or value triples) with the values the table should show, e.g. torch's;
    entries that differ are marked ✗ with the expected value, and ``view.disagreements`` lists them.
    """

    def __init__(self, nodes, title="", expected=None):
        self.nodes = [node if isinstance(node, Node) else Node(*node) for node in nodes]
        self.expected = None if expected is None else [
            tuple(getattr(e, key) for key in VALUES) if isinstance(e, Node) else tuple(e) for e in expected]
        if self.expected is not None and len(self.expected) != len(self.nodes):
            raise ValueError(f"expected has {len(self.expected)} entries for {len(self.nodes)} nodes")
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
        for index, node in enumerate(self.nodes):
            if node.local and len(node.local) != len(node.parents):
                raise ValueError(f"node {index} ({node.name}) has {len(node.local)} local derivatives for "
                                 f"{len(node.parents)} parents")
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
        self.edge_labels = {}  # an edge's contribution to its parent's adjoint, shown in the reverse sweep
        for parent, child in self.edges:
            middle = [(a + b) / 2 for a, b in zip(self.positions[parent], self.positions[child])]
            self.edge_labels[parent, child] = ax.text(
                *middle, "", ha="center", va="center", fontsize=7, color="#b45f06", zorder=5,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
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
            contribution = self.contribution(parent, child) if sweep == "reverse" and active else None
            self.edge_labels[parent, child].set_text(
                "" if contribution is None else
                f"{_bar(self.nodes[child].name)}·{_number(self.local(parent, child))} = {_number(contribution)}")
        self.status.value = self._status(sweep, current)
        self.table.value = self._table(sweep, current)
        self.canvas.draw_idle()

    def local(self, parent, child):
        """∂child/∂parent from the child's local derivatives (summed when it reads the parent twice), or None."""
        node = self.nodes[child]
        if not node.local:
            return None
        return sum(d for p, d in zip(node.parents, node.local) if p == parent)

    def contribution(self, parent, child):
        """What the edge parent -> child adds to the parent's adjoint: child's adjoint times ∂child/∂parent."""
        local = self.local(parent, child)
        return None if local is None else self.nodes[child].adjoint * local

    def _status(self, sweep, current):
        node, n = self.nodes[current], len(self.nodes)
        if sweep == "forward":
            reads = ", ".join(self.nodes[p].name for p in node.parents) or "an input"
            return (f"<b>forward sweep</b>, step {current + 1} of {n}: {html.escape(node.name)} = "
                    f"{html.escape(node.formula)} (reads {html.escape(reads)}): primal "
                    f"{_number(node.primal)}, tangent {_number(node.tangent)}")
        children = ", ".join(self.nodes[c].name for c in self.children[current])
        source = f"collects from its children {children}" if children else "is the output: the seed ∂f/∂f"
        terms = [(self.nodes[c], self.local(current, c)) for c in self.children[current]]
        if terms and all(local is not None for _, local in terms):
            source += ": " + " + ".join(f"{_bar(child.name)} · {_number(local)}" for child, local in terms)
            source += " = " + " + ".join(_number(child.adjoint * local) for child, local in terms)
        return (f"<b>reverse sweep</b>, step {n - current} of {n}: the adjoint of {html.escape(node.name)} "
                f"{html.escape(source)}: {_number(node.adjoint)}")

    @property
    def disagreements(self):
        """(node name, "primal" / "tangent" / "adjoint", value, expected) for every entry that differs."""
        if self.expected is None:
            return []
        return [(node.name, key, getattr(node, key), want) for node, wanted in zip(self.nodes, self.expected)
                for key, want in zip(VALUES, wanted) if not agrees(getattr(node, key), want)]

    def _table(self, sweep, current):
        head = "".join(f"<th style='padding:2px 10px'>{h}</th>" for h in
                       ("node", "computes", "primal v", "tangent v̇", "adjoint v̄"))
        rows = []
        for index, node in enumerate(self.nodes):
            forward_known = sweep == "reverse" or index <= current
            adjoint_known = sweep == "reverse" and index >= current
            shown = dict(zip(VALUES, (forward_known, forward_known, adjoint_known)))
            cells = [(node.name, ""), (node.formula, "")]
            for position, key in enumerate(VALUES):
                value = getattr(node, key)
                want = None if self.expected is None else self.expected[index][position]
                if not shown[key]:
                    cells.append(("", ""))
                elif agrees(value, want):
                    cells.append((_number(value), ""))
                else:
                    cells.append((f"✗ {_number(value)} (expected {_number(want)})", " background:#f4cccc;color:#000000"))
            style = f" style='background:{COLORS['current']};color:#000000'" if index == current else ""
            rows.append(f"<tr{style}>" + "".join(f"<td style='padding:2px 10px;{extra}'>{html.escape(c)}</td>"
                                                   for c, extra in cells) + "</tr>")
        wrong = self.disagreements
        note = ""
        if wrong:
            verb = "entry disagrees" if len(wrong) == 1 else "entries disagree"
            note = (f"<p style='color:#990000'>✗ {len(wrong)} {verb} with the expected values: "
                    + ", ".join(f"{name} {key}" for name, key, _, _ in wrong) + "</p>")
        return f"<div style='overflow-x:auto'><table><tr>{head}</tr>{''.join(rows)}</table></div>{note}"

    @classmethod
    def from_value(cls, root, title=""):
        """The graph of a scalar autodiff value (see :func:`value_nodes`): data and grad of every node."""
        return cls(value_nodes(root), title=title)

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
