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


def test_the_blank_notebook_counts_its_blanks_instead_of_failing_rows():
    report = run_filled({})
    assert not report.ok and str(report).startswith("12 blanks left: dgammax, dbeta")
    assert "nan" not in str(report) and "WRONG" not in str(report)
    first_five = {k: SOLUTION[k] for k in ("dgammax", "dbeta", "dgamma", "dxhat", "divar")}
    text = str(run_filled(first_five))
    assert "7 blanks left: dsqrtvar," in text and "5 checked, all close so far" in text
    assert len(text.splitlines()) == 2 + 5 + 2       # header, five rows, blanks, verdict


def test_a_missing_one_over_n_points_at_the_root_cause():
    report = run_filled({**SOLUTION, "dsq": "np.ones_like(sq) * dvar"})
    assert report.first_wrong == "sq"
    assert "WRONG: fix dsq first; xmu, x depend on it" in str(report)
    assert report.hint("sq") == "r3 mean (var) sends it a gradient: dx = broadcast(g) / N"
    assert report.hint("sq", 2) == "from r3 mean: dsq = broadcast(dvar) / N"
    assert report.hint("sq", 3).startswith("dsq should be\n")


@pytest.mark.parametrize("answer, hint", [
    ("dout.sum(axis=0, keepdims=True)", "shape (1, 3) but beta has shape (3,): an extra leading "
                                        "axis: drop keepdims=True or .reshape(3)"),
    ("dout", "shape (8, 3) but beta has shape (3,): broadcast but not summed back"),
])
def test_a_shape_mistake_is_a_row_with_a_hint(answer, hint):
    report = run_filled({**SOLUTION, "dbeta": answer})
    text = str(report)
    assert [r.name for r in report.rows if not r.close] == ["beta"]
    assert re.search(r"^beta +\| False \| False \|        shape \|", text, re.M)
    assert f"  dbeta: {hint}" in text


def test_a_missing_axis_is_told_keepdims():
    report = run_filled({**SOLUTION, "divar": "(dxhat * xmu).sum(axis=0)"})
    assert "divar: shape (3,) but ivar has shape (1, 3): a missing axis: did you forget keepdims=True?" \
        in str(report)


def test_the_listing_names_w_and_the_stepper_shows_this_graph(capsys):
    source = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells)
    assert "tg.viz.Stepper(loss, forward=False)" in source and "stepper bn" not in source
    assert run_filled(SOLUTION).ok
    assert "r10: t15 = mul(out, w)" in capsys.readouterr().out


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
