"""The main demo (the README's first command) runs and writes every file it lists."""
from tinygrad_bn import demo


def test_demo_writes_what_it_lists(tmp_path, capsys):
    written = demo.main(out_dir=tmp_path, epochs=1, seed=0)
    out = capsys.readouterr().out
    names = {p.name for p in written}
    assert {"bn_graph.gv", "bn_graph.svg", "bn_graph.png", "bn_stepper.html", "mlp_digits.safetensors",
            "mlp_digits_curves.png"} <= names
    for p in written:
        assert p.exists() and p.stat().st_size > 0, p
        assert str(p) in out
    for op in ("mean", "sub", "square", "sqrt", "reciprocal"):
        assert f" {op}(" in out                       # the forward listing
    assert "rule: dx = g / (2 * out)" in out            # sqrt's rule in the backward walk
    assert "| records | 10 | 1 |" in out                # the composed-vs-fused table
    assert "test accuracy after 1 epochs:" in out
    page = (tmp_path / "bn_stepper.html").read_text()
    assert "backward through batch norm" in page and "forward step 1/" not in page
