"""examples/bn_step_by_step.py runs, walks all ten BN records and ends with a passing gradcheck."""
import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bn_step_by_step.py"
TEN = ["mean", "sub", "square", "mean", "add", "sqrt", "reciprocal", "mul", "mul", "add"]


def load_example():
    spec = importlib.util.spec_from_file_location("bn_step_by_step", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bn_step_by_step_walks_every_record_and_gradchecks(capsys):
    assert load_example().main() == 0
    text = capsys.readouterr().out
    steps = [line for line in text.splitlines() if "rule:" in line]
    assert [line.split(" = ")[1].split("(")[0] for line in steps] == TEN[::-1]
    for name in ("mu", "xmu", "sq", "var", "var_eps", "sqrtvar", "ivar", "xhat", "gammax", "out"):
        assert f"upstream d{name}:" in text
    assert "column sums of dx" in text and "[0., 0., 0.]" in text
    assert text.rstrip().endswith("gradcheck(x, gamma, beta) against central differences: passed")
