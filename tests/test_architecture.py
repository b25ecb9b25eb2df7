"""The layering holds (parsed, not run): engine/ imports nothing from tinygrad_bn outside itself,
fast/ only the engine; engine/ has no import cycle, no recursion and stays within its size budget."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tinygrad_bn"


def imported_modules(path):
    """Absolute dotted names of the tinygrad_bn modules that `path` imports."""
    return imported_modules_in(path, ast.parse(path.read_text()))


def imported_modules_in(path, tree):
    """The tinygrad_bn modules the imports in `tree` (parsed from `path`) name."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    package = parts if path.name == "__init__.py" else parts[:-1]
    found = []
    for node in ast.walk(tree):
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
    """In particular never tinygrad_bn.fast: the reference runs, and reads, without it."""
    files = sorted((PACKAGE / "engine").rglob("*.py"))
    assert len(files) >= 8
    outside = {f"{p.relative_to(PACKAGE)}: {m}" for p in files for m in imported_modules(p)
               if not m.startswith("tinygrad_bn.engine")}
    assert not outside, f"engine/ must not import the rest of the package: {sorted(outside)}"


def test_fast_imports_only_the_engine_and_itself():
    files = sorted((PACKAGE / "fast").rglob("*.py"))
    assert files
    wrong = {f"{p.relative_to(PACKAGE)}: {m}" for p in files for m in imported_modules(p)
             if not m.startswith(("tinygrad_bn.engine", "tinygrad_bn.fast"))}
    assert not wrong, f"fast/ builds on the engine alone: {sorted(wrong)}"
    assert "tinygrad_bn.engine.ops" in imported_modules(PACKAGE / "fast" / "blas.py")


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_cycle(files):
    """One cycle among the module-level imports of `files` as a list of names, or None."""
    graph = {_module_name(p): set() for p in files}
    for p in files:
        for node in ast.parse(p.read_text()).body:     # module level: imports inside functions
            if isinstance(node, (ast.Import, ast.ImportFrom)):     # run late and are no cycle
                for m in imported_modules_of_node(p, node):
                    graph[_module_name(p)] |= {m} & graph.keys()
    for start in graph:                                # a walk with an explicit stack
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return path + [start]
                if nxt not in path:
                    stack.append((nxt, path + [nxt]))
    return None


def imported_modules_of_node(path, node):
    """The tinygrad_bn modules one import statement of `path` names (`from . import x` is x)."""
    found = imported_modules_in(path, ast.Module(body=[node], type_ignores=[]))
    if isinstance(node, ast.ImportFrom) and found:      # the names may be submodules too
        subs = [f"{found[0]}.{a.name}" for a in node.names]
        return subs if node.module is None else found + subs
    return found


def test_the_engine_has_no_import_cycle():
    """tensor.py holds apply; methods.py and tape.py never import it back."""
    assert import_cycle(sorted((PACKAGE / "engine").rglob("*.py"))) is None


def test_the_cycle_finder_finds_a_cycle(tmp_path):
    pkg = tmp_path / "tinygrad_bn" / "engine"
    pkg.mkdir(parents=True)
    (pkg / "a.py").write_text("from .b import f\n")
    (pkg / "b.py").write_text("from . import a\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "tinygrad_bn"
    try:
        assert import_cycle(sorted(pkg.glob("*.py"))) is not None
    finally:
        PACKAGE = saved


def lines_of_code(path):
    """Lines that are neither blank, nor comments, nor docstrings."""
    text = path.read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for i, line in enumerate(text.splitlines(), 1)
               if line.strip() and not line.strip().startswith("#") and i not in docstrings)


ENGINE_BUDGET = 820     # lines of code a student reads: engine/ minus ops/, higher/ and methods.py
# (700, plus 70 for create_graph's branch of the walk, tg.grad's inputs and roots, plus 50 for
# in-place versions read by the walk, kept losses let go and locks naming their op)


def test_the_engine_a_student_reads_stays_within_its_budget():
    files = [p for p in sorted((PACKAGE / "engine").glob("*.py")) if p.name != "methods.py"]
    sizes = {p.name: lines_of_code(p) for p in files}
    assert {"tensor.py", "record.py", "tape.py", "backward.py"} <= sizes.keys()
    assert sum(sizes.values()) <= ENGINE_BUDGET, (
        f"engine/ (without ops/ and methods.py) has {sum(sizes.values())} lines of code, over "
        f"{ENGINE_BUDGET}: {sizes}; move PyTorch spellings to methods.py or simplify")


def test_lines_of_code_skip_docstrings_comments_and_blanks(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('"""Doc\nstring."""\n\n# comment\ndef f():\n    """Doc."""\n    return 1\n')
    assert lines_of_code(path) == 2


def recursive_functions(path):
    """Functions of `path` that call themselves directly: by name, or a method as self./cls.
    (inside a class a bare name is a module-level function, e.g. Tensor.backward -> backward)."""
    found = []
    for parent in ast.walk(ast.parse(path.read_text())):
        children = [n for field in ("body", "orelse", "finalbody")
                    if isinstance(getattr(parent, field, None), list) for n in getattr(parent, field)]
        for node in children:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            method = isinstance(parent, ast.ClassDef)
            for call in ast.walk(node):
                f = getattr(call, "func", None)
                if (not method and isinstance(f, ast.Name) and f.id == node.name
                        or method and isinstance(f, ast.Attribute) and f.attr == node.name
                        and isinstance(f.value, ast.Name) and f.value.id in ("self", "cls")):
                    found.append(f"{path.name}:{node.lineno} {node.name}")
    return found


def test_nothing_in_the_engine_calls_itself():
    """Graph depth is unlimited: no recursion in forward, backward or the graph reader."""
    found = [f for p in sorted((PACKAGE / "engine").rglob("*.py")) for f in recursive_functions(p)]
    assert not found, f"recursive functions in engine/: {found}"


def test_the_recursion_finder_finds_recursion(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def walk(t):\n    return [walk(c) for c in t]\n\n"
                    "class A:\n    def go(self, n):\n        return self.go(n - 1)\n\n"
                    "    def walk(self, t):\n        return walk(t)\n")
    assert sorted(recursive_functions(path)) == ["m.py:1 walk", "m.py:5 go"]


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


def test_the_architecture_page_quotes_the_op_it_shows_as_written():
    """docs/architecture.md shows Mul as the example of the dialect: the excerpt is the code."""
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    excerpt = page.split("```py\n", 1)[1].split("```", 1)[0]
    assert excerpt.startswith("class Mul(Op):")
    assert excerpt in (PACKAGE / "engine" / "ops" / "elementwise.py").read_text()
