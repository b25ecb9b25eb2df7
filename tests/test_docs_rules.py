"""docs/derivatives.md is generated from the op registry; this keeps it from drifting."""
import io
from contextlib import redirect_stdout
from pathlib import Path

from tinygrad_bn import cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "derivatives.md"


def test_derivatives_doc_matches_registry():
    buf = io.StringIO()
    with redirect_stdout(buf):
        cli.main(["rules"])
    assert DOC.read_text() == buf.getvalue(), \
        "docs/derivatives.md is stale: regenerate with `tinygrad-bn rules > docs/derivatives.md`"


def test_every_op_has_a_rule_and_a_docstring():
    from tinygrad_bn.engine.ops import OPS
    for name, op in OPS.items():
        assert op.rule.strip(), f"{name}: empty rule"
        assert (op.__doc__ or "").strip(), f"{name}: no docstring"
