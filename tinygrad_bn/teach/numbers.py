"""How numbers and arrays read in every teaching view: 4 significant digits, no rounding noise."""
import re

import numpy as np

_NEGATIVE_ZERO = re.compile(r"-(0\.0*)(?![0-9])")          # "-0." for a value that rounds to 0
_NUMBER_MINUS = re.compile(r"(?<![\w.])-(?=\.?[0-9])|(?<=[0-9]e)-(?=[0-9])")


def fmt(arr, max_elems=6):
    """Lines showing an array: every value when it has at most max_elems, else mean/min/max."""
    arr = np.asarray(arr)
    if arr.size == 1:
        return [num(arr.item())]
    if arr.size <= max_elems:
        text = np.array2string(arr, precision=4, separator=", ", suppress_small=True,
                               floatmode="maxprec")
        return _NEGATIVE_ZERO.sub(r" \1", text).splitlines()
    return [f"mean {num(arr.mean())}  min {num(arr.min())}  max {num(arr.max())}"]


def num(v):
    """4 significant digits; rounding noise such as a mean of 1e-17 reads as 0."""
    return "0" if abs(v) < 1e-12 else f"{v:.4g}"


def short(v):
    """A number as the array views print it: 4 decimals (0.0158, -0.2245, 1), else 4 digits."""
    v = float(v)
    if v == 0:
        return "0"                 # also -0.0: no "-0." on a slide
    if 1e-4 <= abs(v) < 1e5:
        return np.format_float_positional(v, precision=4, trim="-")
    return num(v)


def minus(text):
    """Text whose numbers carry the typographic minus (−0.25, 1e−05), as pictures, slides and
    the stepper page print them; names, rules (db = -g) and hyphens keep their "-"."""
    return _NUMBER_MINUS.sub("\u2212", text)
