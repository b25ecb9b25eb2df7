"""The slide look of a graph: textbook symbols, two decimals, big type, a 16:9 page.

Sized so the composed BN graph with values and gradients (x of 4 x 2) reads on one slide.
"""
import html
import re

import numpy as np

OP_SYMBOLS = {"mean": "mean", "sub": "−", "square": "( )²", "add": "+", "sqrt": "√", "mul": "×",
              "reciprocal": "1/( )", "div": "÷", "neg": "−( )", "exp": "exp", "log": "log",
              "matmul": "@", "sum": "Σ", "relu": "relu", "batch_norm": "BN"}
SLIDE_LOOK = {
    "graph": {"fontname": "DejaVu Sans", "fontsize": "20", "nodesep": "0.25", "ranksep": "0.5",
              "size": "16,9!", "ratio": "fill", "margin": "0", "dpi": "120",
              "viewport": "1152,648",   # 16 x 9 inches at 72 points: 1920 x 1080 pixels
              "mclimit": "0.01"},       # barely reorder: rows keep reading order
    "node": {"fontname": "DejaVu Sans", "fontsize": "22", "margin": "0.06,0.03"},
    "edge": {"color": "#555555", "arrowsize": "0.7", "penwidth": "1.3"},
}
GRAD_COLOUR = "#b03020"
PER_ROW = 3                      # records per row of the snake: 12 BN records -> 4 rows
_ATOM = re.compile(r"^[\w.\u0300-\u036f]+$")   # x, x̂, μ₁, σ², loss, 0.weight: ∂ needs no brackets


def one_line(text):
    """A name as one line of a label: a line break in it shows as ⏎."""
    return str(text).replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")


def slide_label(symbol, values, grads):
    """An HTML-like label: the symbol big, then its value rows, then the gradient rows (all
    plain text, escaped here)."""
    rows = [f'<TR><TD><FONT POINT-SIZE="30"><B>{_lines([symbol])}</B></FONT></TD></TR>']
    if values:
        rows.append(f'<TR><TD><FONT FACE="DejaVu Sans Mono" POINT-SIZE="19">{_lines(values)}'
                    '</FONT></TD></TR>')
    if grads:
        rows.append(f'<TR><TD><FONT FACE="DejaVu Sans Mono" POINT-SIZE="19" COLOR="{GRAD_COLOUR}">'
                    f'{_lines(grads)}</FONT></TD></TR>')
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>'


def grad_head(symbol, k, n):
    """`∂(x−μ) (1 of 2 paths)`: brackets around a symbol with an operator or bracket in it."""
    partial = f"∂{symbol}" if _ATOM.match(symbol) else f"∂({symbol})"
    return partial + (f" ({k} of {n} paths{': complete' if k == n else ''})" if n > 1 else "")


def _lines(lines):
    return "<BR/>".join(html.escape(one_line(line)) for line in lines)


def slide_cells(arr):
    """Rows of an array at two decimals (integers as integers), one line each; a big array
    as its mean and range."""
    arr = np.asarray(arr)
    whole = arr.dtype.kind in "iub" or (arr.size and np.all(np.mod(arr, 1) == 0) and
                                        np.all(np.abs(arr) < 1e6))
    arr = arr.astype(float)
    if arr.size > 8:
        return [f"mean {_two(arr.mean())}", f"[{_two(arr.min())}, {_two(arr.max())}]"]
    rows = arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr.reshape(1, 1)
    return [" ".join(f"{int(v):d}".replace("-", "−") if whole else _two(v) for v in row)
            for row in rows]


def _two(v):
    """Two decimals; a small non-zero number such as eps keeps its exponent (1e-05, not 0.00);
    a value that rounds to zero, or rounding noise such as a mean of 1e-17, is 0.00, never −0.00."""
    if 1e-12 < abs(v) < 1e-3:
        return f"{v:.0e}".replace("-", "−")
    text = f"{v if abs(v) > 1e-12 else 0.0:5.2f}"
    return text.replace("-0.00", " 0.00").replace("-", "−")


def snake_rows(g, records):
    """DOT lines that lay the records out in rows of PER_ROW, read left to right, top to bottom,
    like lines of text: a long chain then fills a 16:9 page instead of one thin strip.
    Invisible edges keep each row in reading order (inputs, op, result) and start each row
    under the one before."""
    rows, placed = [], set()
    for k, r in enumerate(records):
        if k % PER_ROW == 0:
            rows.append([])
        leaves = [g.tid(t) for t in r.inputs if t.record is None and g.tid(t) not in placed]
        for node in [*dict.fromkeys(leaves), g.rid(r), g.tid(r.output)]:
            placed.add(node)
            rows[-1].append(node)
    lines = ["\t{rank=same; " + "; ".join(row) + "}\n" for row in rows]
    lines += [f"\t{a} -> {b} [style=invis weight=20]\n" for row in rows for a, b in zip(row, row[1:])]
    lines += [f"\t{a[0]} -> {b[0]} [style=invis weight=100]\n" for a, b in zip(rows, rows[1:])]
    return lines
