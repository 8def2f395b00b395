"""Run a notebook's code cells as a plain script, where Jupyter is not installed (a GPU machine):
``python tests/run_without_jupyter.py solutions/06_training_loop/training_loop.ipynb``.

The cells run in order in one namespace, in the notebook's folder, with lib/ on the path; the
last cell (the quiz widget) is left out. Prints each cell's time and outcome; exits with 1 when
one raised. Used to check that chapter 6 trains on cuda.
"""

import json
import os
import sys
import time
import traceback
from pathlib import Path

notebook = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
os.chdir(notebook.parent)
cells = [cell for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code"][:-1]
namespace, failed, start = {"__name__": "__main__"}, 0, time.perf_counter()
for number, cell in enumerate(cells):
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
    began = time.perf_counter()
    try:
        exec(compile("".join(cell["source"]), f"cell {number} {grade_id}", "exec"), namespace)
        outcome = "ok"
    except Exception as error:
        failed += 1
        outcome = f"FAILED {type(error).__name__}: {error}"
        traceback.print_exc()
    print(f"cell {number:2d} {grade_id:28s} {time.perf_counter() - began:6.2f} s  {outcome}", flush=True)
print(f"{len(cells)} cells in {time.perf_counter() - start:.1f} s, {failed} failed; device: {namespace.get('device')}")
sys.exit(1 if failed else 0)
