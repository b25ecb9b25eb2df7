"""examples/bn_exercise.ipynb: filled with the solution its check passes; with a classic mistake
(one path into xmu forgotten, a gradient multiplied instead of added) it fails and names it."""
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "bn_exercise.ipynb"
SOLUTION = {
    "dgammax": "dout", "dbeta": "dout.sum(axis=0)", "dgamma": "(dout * xhat).sum(axis=0)",
    "dxhat": "dgammax * gamma.data", "divar": "(dxhat * xmu).sum(axis=0, keepdims=True)",
    "dsqrtvar": "-divar / sqrtvar**2", "dvar_eps": "dsqrtvar / (2 * sqrtvar)", "dvar": "dvar_eps",
    "dsq": "np.ones_like(sq) * dvar / N", "dxmu": "dxhat * ivar + 2 * xmu * dsq",
    "dmu": "-dxmu.sum(axis=0, keepdims=True)", "dx": "dxmu + dmu / N",
}


def run_filled(answers):
    """Execute the notebook's code cells with each `dname = None   # YOUR CODE` line answered."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    namespace = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            source = re.sub(r"^(d\w+)\s*= None\s+# YOUR CODE.*$",
                            lambda m: f"{m.group(1)} = {answers.get(m.group(1), 'None')}",
                            cell.source, flags=re.M)
            exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    return namespace["report"]


def test_every_bn_node_has_a_blank():
    source = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    assert sorted(re.findall(r"^(d\w+)\s*= None\s+# YOUR CODE", source, re.M)) == sorted(SOLUTION)


def test_the_solution_passes():
    report = run_filled(SOLUTION)
    assert report.ok and len(report.rows) == 12 and all(r.close for r in report.rows)


def test_the_blank_notebook_does_not_pass():
    report = run_filled({})
    assert not report.ok and "WRONG" in str(report)


@pytest.mark.parametrize("name, wrong, flagged", [
    ("dxmu", "dxhat * ivar", {"xmu", "x"}),                         # forgot the sq path
    ("dxmu", "dxhat * ivar * (2 * xmu * dsq)", {"xmu", "mu", "x"}),  # multiplied the paths
    ("dsq", "np.ones_like(sq) * dvar", {"sq", "xmu", "x"}),         # forgot the 1/N of the mean
])
def test_a_wrong_answer_fails_and_is_named(name, wrong, flagged):
    report = run_filled({**SOLUTION, name: wrong})
    assert not report.ok and {r.name for r in report.rows if not r.close} == flagged


def test_notebook_is_generated_from_its_script():
    spec = importlib.util.spec_from_file_location("make_exercise", ROOT / "scripts" / "make_exercise.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in module.build().cells], \
        "examples/bn_exercise.ipynb is stale: run python scripts/make_exercise.py"
