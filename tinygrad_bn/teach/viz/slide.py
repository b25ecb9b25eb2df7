"""The slide look of a graph: textbook symbols, two decimals, big type, a 16:9 page.

Sized so the composed BN graph with values and gradients (x of 4 x 2) reads on one slide.
"""
import html

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


def slide_label(symbol, values, grad, arrival=""):
    """An HTML-like label: the symbol big, then its values (if given), then ∂ and its gradient."""
    rows = [f'<TR><TD><FONT POINT-SIZE="30"><B>{html.escape(symbol)}</B></FONT></TD></TR>']
    if values is not None:
        rows.append(f'<TR><TD><FONT FACE="DejaVu Sans Mono" POINT-SIZE="19">{_cells(values)}'
                    '</FONT></TD></TR>')
    if grad is not None:
        rows.append(f'<TR><TD><FONT FACE="DejaVu Sans Mono" POINT-SIZE="19" COLOR="{GRAD_COLOUR}">'
                    f'∂{html.escape(symbol)}{html.escape(arrival)}<BR/>{_cells(grad)}</FONT></TD></TR>')
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{"".join(rows)}</TABLE>>'


def _cells(arr):
    """Rows of an array at two decimals, one line each; a big array as its mean and range."""
    arr = np.asarray(arr, dtype=float)
    if arr.size > 8:
        return f"mean {arr.mean():.2f}<BR/>[{arr.min():.2f}, {arr.max():.2f}]"
    rows = arr.reshape(-1, arr.shape[-1]) if arr.ndim else arr.reshape(1, 1)
    return "<BR/>".join(" ".join(_two(v) for v in row) for row in rows)


def _two(v):
    """Two decimals; a small non-zero number such as eps keeps its exponent (1e-05, not 0.00)."""
    return (f"{v:.0e}" if 0 < abs(v) < 1e-3 else f"{v:5.2f}").replace("-", "−")


def snake_rows(g):
    """DOT lines that lay the records out in rows of PER_ROW, read left to right, top to bottom,
    like lines of text: a long chain then fills a 16:9 page instead of one thin strip.
    Invisible edges keep each row in reading order (inputs, op, result) and start each row
    under the one before."""
    rows, placed = [], set()
    for k, r in enumerate(g.records):
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
