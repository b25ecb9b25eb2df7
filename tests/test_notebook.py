"""examples/tutorial.ipynb executes top to bottom (nbclient), so it never goes stale."""
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tutorial.ipynb"


def test_tutorial_notebook_runs(tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="nbclient not installed (test extra)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs), "the graph is not inline"


def test_notebook_is_generated_from_its_script():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "make_tutorial", NOTEBOOK.parents[1] / "scripts" / "make_tutorial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in module.build().cells], \
        "examples/tutorial.ipynb is stale: run python scripts/make_tutorial.py"
