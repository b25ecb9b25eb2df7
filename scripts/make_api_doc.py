"""Write docs/api.md from the docstrings of the public API (a test checks it is up to date)."""
import inspect
from pathlib import Path

import tinygrad_bn as tg
from tinygrad_bn import functional, nn, optim, viz
from tinygrad_bn.engine import methods

SECTIONS = [("tinygrad_bn", tg), ("Tensor methods in PyTorch's spelling", methods),
            ("tinygrad_bn.functional", functional), ("tinygrad_bn.nn", nn),
            ("tinygrad_bn.nn.init", nn.init), ("tinygrad_bn.nn.utils", nn.utils),
            ("tinygrad_bn.optim", optim),
            ("tinygrad_bn.optim.lr_scheduler", optim.lr_scheduler),
            ("tinygrad_bn.data", tg.data), ("tinygrad_bn.interop", tg.interop),
            ("tinygrad_bn.autograd.functional", tg.autograd.functional),
            ("tinygrad_bn.viz", viz)]
NOTES = {   # a PyTorch-spelling note above a section: what carries over from torch as it is
    "tinygrad_bn": "PyTorch spelling: `tg.zeros/ones/full/empty/arange/linspace/eye/rand/randn/"
                   "randint` (sizes as varargs or a tuple) and their `*_like` forms take `dtype=` "
                   "and `requires_grad=`; `tg.manual_seed` seeds the one package generator that "
                   "`rand*`, `nn.init` and dropout use. `tg.exp(x)`, `tg.sum(x, dim)`, "
                   "`tg.max(x, dim)`, `tg.einsum(...)`, ... are torch's functions, each calling "
                   "the Tensor method of the same name. `empty` gives zeros.",
    "Tensor methods in PyTorch's spelling": "Every Tensor has these (class TorchMethods is mixed "
                   "into Tensor). `dim=` is an alias of `axis=` and `keepdim=` of `keepdims=`; "
                   "axes may be an int, a tuple or a list. `x.max(d)`/`x.max(dim=d)` (and `min`) "
                   "return `(values, indices)` as torch, while `x.max(axis=d)` returns values as "
                   "NumPy. "
                   "`transpose(d0, d1)` with two ints swaps them (torch); a tuple or a full "
                   "permutation permutes (NumPy); on 2-D both read the same. `var` and `std` "
                   "are unbiased by default (torch); `ddof=0`/`correction=0` is BN's biased one. "
                   "`x.size` is NumPy's element count and `x.size()`/`x.size(d)` torch's shape.",
    "tinygrad_bn.functional": "PyTorch spelling: activations and losses take torch's arguments "
                   "and defaults (`weight`, `ignore_index=-100`, `reduction`, `label_smoothing`, "
                   "`pos_weight`, `approximate`, `beta`/`threshold`, ...); `inplace=` is accepted "
                   "and the result is always a new tensor. `batch_norm` defaults to training=True.",
    "tinygrad_bn.nn": "PyTorch spelling: every layer takes torch.nn's constructor arguments; "
                   "losses accept the deprecated `size_average`/`reduce` as torch maps them.",
}
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


MODULE_PROTOCOL = ("forward", "extra_repr")   # every layer has them: documented under Module


def _own_methods(cls):
    """The class's own attributes, then the ones it inherits from private bases (ModuleDict's
    dict methods live in _Keyed, BatchNorm1d's reset_parameters in _BatchNorm), leaving out the
    Module protocol a private base overrides."""
    found = dict(vars(cls))
    for base in cls.__mro__[1:]:
        if base.__name__.startswith("_") and base.__module__.startswith("tinygrad_bn"):
            for name, fn in vars(base).items():
                if name not in MODULE_PROTOCOL:
                    found.setdefault(name, fn)
    return found


def render():
    """The whole page as text."""
    out = ["# API reference", "",
           "Generated from the docstrings by `python scripts/make_api_doc.py`; a test keeps it true.",
           ""]
    for title, module in SECTIONS:
        out += [f"## `{title}`" if "." in title or title == "tinygrad_bn" else f"## {title}", ""]
        if title in NOTES:
            out += [NOTES[title], ""]
        for name, obj in _members(module):
            out.append(_line(name, obj))
            if inspect.isclass(obj):
                for meth, fn in _own_methods(obj).items():
                    if (inspect.isfunction(fn) or isinstance(fn, property)) and not meth.startswith("_"):
                        out.append("  " + _line(f".{meth}", fn))
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    DOC.write_text(render())
    print("wrote", DOC)
