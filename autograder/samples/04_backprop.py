"""A synthetic class for chapter 4: what each student handed in and the score it must earn.

Out of 32 points: 10 exercises, 1 point per visible test and 2 per hidden test (the Dual and Value
exercises have two visible tests each). See autograder/samples/01_losses.py for the format.
The typical mistakes are the reference solution's cells with one change each, made below from
solutions/04_backprop/backprop.ipynb so that they follow the notebook.
"""

import json
from pathlib import Path

SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "04_backprop" / "backprop.ipynb"


def _changed(grade_id, old, new):
    """The solution cell grade_id, without its solution markers, with every `old` replaced by `new`."""
    for cell in json.loads(SOLUTION.read_text())["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            source = "".join(line for line in cell["source"] if "### BEGIN SOLUTION" not in line
                             and "### END SOLUTION" not in line)
            assert old in source, f"{grade_id} has no {old!r}: update this sample"
            return source.replace(old, new)
    raise KeyError(grade_id)


SUBMISSIONS = [
    dict(student="ada", about="everything right", base="solution", cells={}, score=32),
    dict(student="bo", about="handed in untouched", base="release", cells={}, score=0),
    dict(
        student="cal",
        about="Value's local rules overwrite the parents' gradients (= instead of +=)",
        base="solution",
        cells={"value": _changed("value", ".grad += ", ".grad = ").replace(".grad -= ", ".grad = -")},
        score=25,  # both Value tests, its hidden test, and jacobian_reverse (visible and hidden)
    ),
    dict(
        student="dan",
        about="a wrong topological order: breadth-first from the root, reversed",
        base="solution",
        cells={"topological_order": (
            "def topological_order(root):\n"
            "    order, seen, queue = [], {id(root)}, [root]\n"
            "    while queue:\n"
            "        node = queue.pop(0)\n"
            "        order.append(node)\n"
            "        for parent in node.parents:\n"
            "            if id(parent) not in seen:\n"
            "                seen.add(id(parent))\n"
            "                queue.append(parent)\n"
            "    return order[::-1]\n")},
        score=26,  # topological_order, and Value where a node is reached along paths of different lengths
    ),
    dict(
        student="eli",
        about="the product rule in Dual.__mul__ misses the term primal * other.tangent",
        base="solution",
        cells={"dual": _changed("dual", "self.tangent * other.primal + self.primal * other.tangent",
                                "self.tangent * other.primal")},
        score=25,  # both Dual tests, its hidden test, and jacobian_forward (visible and hidden)
    ),
]
