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
