"""How close right answers come to each check's tolerance: ``python tests/benchmarks/tolerance_audit.py [CHAPTER ...]``.

Runs each solution notebook headless as it is, then with the right-but-different solutions of
autograder/different.py in its solution cells (one run per notebook of that corpus), with every
check_close watched, the visible tests' and the hidden tests' alike (outside the grader: the hidden
tests compare with the reference directly). For each check (cases of one check taken together) it
prints the dtype of the expected value, the tolerance the check used (its own, or the dtype's
default), the worst relative error of each run in check_close's terms (|a - e| / max(|e|, atol / rtol),
which passes at <= rtol), and the share of the tolerance that error uses. A check where a right answer
uses more than a tenth of its tolerance is marked: its tolerance is tighter than the dtype and the
operation's conditioning allow, or close to it.
"""

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from autograder.different import NOTEBOOKS, cell_of, code  # noqa: E402

# Put in after the set-up cell: every check_close, wherever it was imported, logs what it compared.
WATCH = """\
import json as _json, sys as _sys
import numpy as _np
import trainlab.checks as _checks
_original_check_close = _checks.check_close

def _watched_check_close(actual, expected, **options):
    try:
        if expected is not _checks.WITHHELD and actual is not None:
            e = _checks.as_numpy(expected)
            a = _checks.as_numpy(actual)
            rtol, atol = _checks.TOLERANCES.get(e.dtype, _checks.TOLERANCES[_np.dtype(_np.float64)])
            rtol = rtol if options.get("rtol") is None else options["rtol"]
            atol = atol if options.get("atol") is None else options["atol"]
            if a.shape == e.shape and a.dtype.kind in "biuf" and e.size:
                with _np.errstate(all="ignore"):
                    a64, e64 = a.astype(float), e.astype(float)
                    diff = _np.where(a64 == e64, 0.0, _np.abs(a64 - e64))
                    rel = float(_np.nanmax(diff / _np.maximum(_np.abs(e64), atol / rtol)))
                with open(LOG, "a") as _log:
                    _log.write(_json.dumps({"name": options.get("name", "result"), "dtype": str(e.dtype),
                                            "oracle": options.get("oracle", "the expected value"),
                                            "returned": str(a.dtype), "rtol": rtol, "atol": atol, "rel": rel}) + "\\n")
    except Exception:
        pass
    return _original_check_close(actual, expected, **options)

for _module in [m for n, m in list(_sys.modules.items()) if n.startswith("trainlab.")]:
    if getattr(_module, "check_close", None) is _original_check_close:
        _module.check_close = _watched_check_close
check_close = _watched_check_close
"""


def run(path, replacements, log):
    """Execute the notebook at ``path`` with its solution cells ``replacements`` ({grade_id: source})."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
    first = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    notebook.cells.insert(first + 1, nbformat.v4.new_code_cell(WATCH.replace("LOG", repr(str(log)))))
    NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [f"{cell.metadata.get('nbgrader', {}).get('grade_id')}: {o.ename}" for cell in notebook.cells
              for o in cell.get("outputs", []) if o.output_type == "error"]
    return errors


def read(log):
    """{(check, oracle, expected dtype, rtol, atol): (returned dtypes, rtol, atol, worst relative error)}, the
    cases of a check (its name up to " (case)") taken together."""
    checks = {}
    for line in Path(log).read_text().splitlines() if Path(log).exists() else []:
        entry = json.loads(line)
        key = (re.sub(r" \(.*\)$", "", entry["name"]), entry["oracle"], entry["dtype"], entry["rtol"], entry["atol"])
        returned, rtol, atol, rel = checks.get(key, (set(), entry["rtol"], entry["atol"], 0.0))
        checks[key] = (returned | {entry["returned"]}, min(rtol, entry["rtol"]), min(atol, entry["atol"]),
                       max(rel, entry["rel"]))
    return checks


def merge(runs):
    """The checks of several runs (dicts as ``read`` returns them) taken together."""
    merged = {}
    for checks in runs:
        for key, (returned, rtol, atol, rel) in checks.items():
            old = merged.get(key, (set(), rtol, atol, 0.0))
            merged[key] = (old[0] | returned, min(old[1], rtol), min(old[2], atol), max(old[3], rel))
    return merged


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", default=sorted(NOTEBOOKS))
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"| chapter | check | dtype (returned) | rtol | atol | reference | different | share of rtol |\n"
          f"| :- | :- | :- | -: | -: | -: | -: | -: |")
    for chapter in args.chapters:
        path = next((ROOT / "solutions" / chapter).glob("*.ipynb"))
        with tempfile.TemporaryDirectory() as folder:
            errors = run(path, {}, Path(folder) / "reference.jsonl")
            reference = read(Path(folder) / "reference.jsonl")
            runs = []
            for number, cases in enumerate(NOTEBOOKS[chapter]):
                log = Path(folder) / f"different{number}.jsonl"
                errors += run(path, {cell_of(case): code(chapter, case) for case in cases}, log)
                runs.append(read(log))
            different = merge(runs)
        for key in sorted(set(reference) | set(different)):
            name, oracle, dtype = key[:3]
            returned, rtol, atol, _ = merge([{key: reference[key]} if key in reference else {},
                                             {key: different[key]} if key in different else {}])[key]
            ref_rel = reference[key][3] if key in reference else float("nan")
            diff_rel = different[key][3] if key in different else float("nan")
            share = max(value for value in (ref_rel, diff_rel, 0.0) if value == value) / rtol
            mark = " **tight**" if share > 0.1 else ""
            print(f"| {chapter} | {name} vs {oracle} | {dtype} ({', '.join(sorted(returned))}) | {rtol:g} | {atol:g} | "
                  f"{ref_rel:.1e} | {diff_rel:.1e} | {share:.2g}{mark} |", flush=True)
        if errors:
            print(f"<!-- {chapter}: cells that raised: {'; '.join(errors)} -->", flush=True)


if __name__ == "__main__":
    main()
