"""Docs a newcomer can follow: the tutorial is linked and saved with its
outputs, one numbering in batchnorm.md, the documented compare-bn figures are what the command
prints, and user docs never point at files users do not have."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_bn import compare_bn

ROOT = Path(__file__).resolve().parents[1]
USER_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "examples").rglob("*.py")), *sorted((ROOT / "examples").glob("*.ipynb"))]


def test_user_docs_never_point_at_files_users_do_not_have():
    for page in USER_DOCS:
        text = page.read_text()
        for name in ("DESIGN.md", "STYLE.md", "shared/", "seeds/"):
            assert name not in text, f"{page.relative_to(ROOT)} mentions {name}"


def test_tutorial_and_exercise_are_linked_and_the_tutorial_has_outputs():
    for page, prefix in ((ROOT / "README.md", "examples/"), (ROOT / "docs" / "index.md", "../examples/")):
        text = page.read_text()
        assert f"]({prefix}tutorial.ipynb)" in text and f"]({prefix}bn_exercise.ipynb)" in text
    cells = json.loads((ROOT / "examples" / "tutorial.ipynb").read_text())["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
    assert len(outputs) >= 8 and any("image/svg+xml" in o.get("data", {}) for o in outputs)
    text = "".join("".join(o.get("text", "")) for o in outputs)
    assert "fan-in: dxmu = " in text and "all close" in text and "WRONG: fix dxmu first" in text


def test_batchnorm_md_numbers_records_as_the_tools_do():
    text = (ROOT / "docs" / "batchnorm.md").read_text()
    rows = re.findall(r"^\| (r\d+) \| `(\w+) = ", text, re.M)
    assert rows == [(f"r{k}", name) for k, name in zip(range(9, -1, -1), (
        "out", "gammax", "xhat", "ivar", "sqrtvar", "var_eps", "var", "sq", "xmu", "mu"))]
    assert not re.search(r"^\| \d+ \| `", text, re.M) and "Bessel" in text and "n/(n-1)" in text


def _documented_tables():
    """{shape: {row name: cells}} of the compare-bn tables in batchnorm.md."""
    text = (ROOT / "docs" / "batchnorm.md").read_text()
    tables = {}
    for shape, table in re.findall(r"\$ tinygrad-bn compare-bn(?: --shape ([\d,]+))?\n.*?```\n\n"
                                   r"(\| quantity.*?)\n\n", text, re.S):
        key = tuple(int(n) for n in (shape or "64,32").split(","))
        tables[key] = {row.split("|")[1].strip(): [c.strip() for c in row.split("|")[2:-1]]
                       for row in table.splitlines()[2:]}
    return tables


ROUNDING = 1e-14      # float64: a few ulps of relative difference, whichever order a CPU sums in


@pytest.mark.parametrize("shape", [(64, 32), (32, 16, 8, 8)])
def test_documented_compare_bn_figures_are_what_the_command_prints(shape):
    """Records and bytes are the same on every machine: they must match a fresh run exactly. The
    differences are rounding, and which rounding depends on the CPU (its BLAS kernel sums in its
    own order): documented and fresh ones must both be rounding-sized. Times only need a row."""
    documented = _documented_tables()[shape]
    printed = str(compare_bn(shape, dtype=np.float64, seed=0, repeats=1))
    fresh = {row.split("|")[1].strip(): [c.strip() for c in row.split("|")[2:-1]]
             for row in printed.splitlines() if row.startswith("| ") and "quantity" not in row}
    for name in ("records", "bytes saved"):
        assert documented[name] == fresh[name], (shape, name, documented[name], fresh[name])
    for name in ("out", "dx", "dgamma", "dbeta"):
        for table in (documented, fresh):
            assert float(table[name][4]) < ROUNDING, (shape, name, table[name])
    assert {"forward", "backward"} <= set(documented)
    if shape == (64, 32):                                 # README's short version of the table
        readme = (ROOT / "README.md").read_text()
        assert f"| bytes saved for backward | {' | '.join(fresh['bytes saved'][:3])} |" in readme
        diffs = " / ".join(f"{float(documented[k][3]):.1e}".replace("0.0e+00", "0")
                           for k in ("out", "dx", "dgamma", "dbeta"))        # as batchnorm.md's
        assert f"| max abs diff of out / dx / dgamma / dbeta | | | {diffs} |" in readme
