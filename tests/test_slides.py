"""`tinygrad-bn slides TARGET --out DIR`: a lecture pack of 1920x1080 PNGs, one per forward and
backward step plus the whole graph, and an index.html listing them; checked on a residual block."""
import re
import shutil
from pathlib import Path

import pytest

from tinygrad_bn.cli import main
from tinygrad_bn.teach.numbers import minus

ROOT = Path(__file__).resolve().parents[1]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


@needs_dot
def test_the_residual_blocks_lecture_pack(tmp_path, capsys):
    """29 slides at 1920x1080 in walk order, listed by index.html, with the handout's numbers."""
    PIL = pytest.importorskip("PIL.Image", reason="Pillow (with matplotlib) draws the slides")
    target = str(ROOT / "examples" / "residual_block.py") + ":loss"
    assert main(["explain", target]) == 0
    handout = [line.split("fan-in: ")[1] for line in capsys.readouterr().out.splitlines()
               if "fan-in: " in line]
    code = main(["slides", target, "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["00_graph.png"] + [f"backward_{k:02d}.png" for k in range(1, 15)] + \
        [f"forward_{k:02d}.png" for k in range(1, 15)]
    assert f"wrote 29 slides (1920x1080 PNG) and {tmp_path / 'index.html'}" in out
    for name in pngs:
        with PIL.open(tmp_path / name) as image:
            assert image.size == (1920, 1080), name
    index = (tmp_path / "index.html").read_text()
    assert re.findall(r'<img src="([^"]+)"', index) == ["00_graph.png"] + \
        [f"forward_{k:02d}.png" for k in range(1, 15)] + [f"backward_{k:02d}.png" for k in range(1, 15)]
    assert "Forward 1/14" in index and "Backward 14/14" in index
    skip = [line for line in handout if line.startswith("dx = ")]
    assert skip and "(via r11 add)" in skip[0] and "(via r0 linear)" in skip[0]
    assert all(f"fan-in: {minus(line)}" in index for line in handout)   # same seed, same numbers
    assert not re.search(r"[−-]0\.(00)?(?![0-9])|= -[0-9]", index)        # no −0.00, one minus
