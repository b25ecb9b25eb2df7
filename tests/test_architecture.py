"""The layering holds: engine/ imports nothing from tinygrad_bn outside itself (parsed, not run)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tinygrad_bn"


def imported_modules(path):
    """Absolute dotted names of the tinygrad_bn modules that `path` imports."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    package = parts if path.name == "__init__.py" else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "tinygrad_bn"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] == "tinygrad_bn":
                found.append(mod)
    return found


def test_engine_imports_nothing_outside_itself():
    files = sorted((PACKAGE / "engine").rglob("*.py"))
    assert len(files) >= 8
    outside = {f"{p.relative_to(PACKAGE)}: {m}" for p in files for m in imported_modules(p)
               if not m.startswith("tinygrad_bn.engine")}
    assert not outside, f"engine/ must not import the rest of the package: {sorted(outside)}"


def test_the_import_parser_sees_relative_imports():
    """The check above cannot pass vacuously: it resolves a known import of the package root."""
    assert "tinygrad_bn.engine" in imported_modules(PACKAGE / "__init__.py")
    assert "tinygrad_bn.engine.ops" in imported_modules(PACKAGE / "engine" / "tensor.py")


LOWER = ("engine", "functional", "nn", "optim", "data", "checkpoint", "interop")


def _files_of(part):
    """The .py files of a package folder or of a single module under tinygrad_bn/."""
    folder = PACKAGE / part
    return sorted(folder.rglob("*.py")) if folder.is_dir() else sorted(PACKAGE.glob(f"{part}.py"))


def test_nothing_below_teach_imports_teach_or_gradcheck():
    """teach/ and gradcheck read tapes and tensors; the layers they read never import them."""
    files = [p for part in LOWER for p in _files_of(part)]
    assert len(files) >= 20
    wrong = {f"{p.relative_to(PACKAGE)}: {m}" for p in files for m in imported_modules(p)
             if m.split(".")[1:2] in (["teach"], ["gradcheck"])
             or m in ("tinygrad_bn.viz", "tinygrad_bn.explain", "tinygrad_bn.compare")}
    assert not wrong, f"only cli, demo and the package root may import teach/gradcheck: {sorted(wrong)}"


def test_teach_holds_the_graph_explainers():
    """explain, viz (dot, render, frames, stepper), compare, conventions, reference live in teach/."""
    teach = {p.relative_to(PACKAGE / "teach").as_posix() for p in _files_of("teach")}
    assert {"explain.py", "compare.py", "conventions.py", "reference.py", "sample_graphs.py",
            "check.py", "viz/dot.py", "viz/render.py", "viz/frames.py", "viz/stepper.py"} <= teach
    assert not any((PACKAGE / f"{m}.py").exists() for m in ("viz", "explain", "compare", "reference"))
    assert "tinygrad_bn.teach.check" in imported_modules(PACKAGE / "teach" / "__init__.py")
