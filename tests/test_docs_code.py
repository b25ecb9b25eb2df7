"""Every ```python block in README.md and docs/*.md runs, so the docs cannot drift from the code.

Blocks of one page run in order in one namespace, inside a temporary directory.
"""
import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page):
    return BLOCK.findall(page.read_text())


@pytest.mark.parametrize("page", [p for p in PAGES if p.exists()], ids=lambda p: p.name)
def test_page_code_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem}"}
    blocks = python_blocks(page)
    if any(re.search(r"^import torch", b, re.M) for b in blocks):   # PyTorch is optional
        pytest.importorskip("torch", reason=f"{page.name} runs PyTorch, which is not installed")
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"{page.name}[block {i}]", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{page.name}, python block {i} fails: {exc!r}\n{block}") from exc
