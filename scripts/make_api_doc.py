"""Write docs/api.md from the docstrings of the public API (a test checks it is up to date)."""
import inspect
from pathlib import Path

import tinygrad_bn as tg
from tinygrad_bn import functional, nn, optim, viz

SECTIONS = [("tinygrad_bn", tg), ("tinygrad_bn.functional", functional), ("tinygrad_bn.nn", nn),
            ("tinygrad_bn.nn.init", nn.init), ("tinygrad_bn.optim", optim),
            ("tinygrad_bn.data", tg.data), ("tinygrad_bn.interop", tg.interop),
            ("tinygrad_bn.viz", viz)]
DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _signature(obj):
    if isinstance(obj, property):
        return ""
    try:
        return str(inspect.signature(obj)).replace("(self, ", "(").replace("(self)", "()")
    except (TypeError, ValueError):
        return ""


def _line(name, obj):
    doc = (inspect.getdoc(obj) or "").split("\n\n")[0].replace("\n", " ")
    return f"- `{name}{_signature(obj)}`: {doc}"


def _members(module):
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and \
                obj.__module__.startswith("tinygrad_bn"):
            yield name, obj


def render():
    """The whole page as text."""
    out = ["# API reference", "",
           "Generated from the docstrings by `python scripts/make_api_doc.py`; a test keeps it true.",
           ""]
    for title, module in SECTIONS:
        out += [f"## `{title}`", ""]
        for name, obj in _members(module):
            out.append(_line(name, obj))
            if inspect.isclass(obj):
                for meth, fn in vars(obj).items():
                    if (inspect.isfunction(fn) or isinstance(fn, property)) and not meth.startswith("_"):
                        out.append("  " + _line(f".{meth}", fn))
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    DOC.write_text(render())
    print("wrote", DOC)
