"""Where a drawing goes on a 16:9 screen: the direction (top-down or left-right) whose
picture is nearest 16:9, and a long graph cut into slides of one layer or BN block each."""
import math

SLIDE_RECORDS = 15               # more records than this: one slide per layer or BN block
_ASPECT = 16 / 9


def auto_rankdir(drawing):
    """"TB" or "LR" for a Drawing: ranks (longest path from a leaf) are estimated from the
    records in order, no layout is run; a rank's nodes sit side by side, ranks follow each other."""
    if not drawing.records:
        return "TB"
    rank, size = {}, {}
    for r in drawing.records:
        node = drawing.node_of(r)
        srcs = [drawing.source_of(t) for t in r.inputs]
        for t, src in zip(r.inputs, srcs):
            rank.setdefault(src, 0)
            size.setdefault(src, _box(drawing, t))
        rank[node] = max([rank.get(node, 0)] + [rank[s] + 1 for s in srcs if s != node])
        size.setdefault(node, (1.2, 0.5))
        if id(r.output) not in drawing.hidden:
            out = drawing.g.tid(r.output)
            rank[out], size[out] = rank[node] + 1, _box(drawing, r.output)
    ranks = {}
    for node, k in rank.items():
        ranks.setdefault(k, []).append(size[node])
    across = [sum(w for w, _ in boxes) for boxes in ranks.values()]     # TB: a rank's width
    along = [max(h for _, h in boxes) + 0.4 for boxes in ranks.values()]  # TB: a rank's height
    tb = max(across, default=1) / max(sum(along), 1e-9)
    lr = sum(max(w for w, _ in boxes) + 0.4 for boxes in ranks.values()) / max(
        max((sum(h for _, h in boxes) for boxes in ranks.values()), default=1), 1e-9)
    return "TB" if abs(math.log(tb / _ASPECT)) <= abs(math.log(lr / _ASPECT)) else "LR"


def _box(drawing, t):
    """A data box's size in inches, guessed from how many value and gradient rows it prints."""
    rows = 2
    if drawing.show_values or t.size == 1:
        rows += _rows(t)
    if id(t) in drawing.grads:
        rows += 1 + _rows(t)
    cols = t.shape[-1] if t.ndim and t.size <= drawing.max_elems else 3
    return 0.3 + 0.6 * max(cols, 2), 0.2 + 0.17 * rows


def _rows(t):
    return (t.size // t.shape[-1]) if t.ndim > 1 and 0 < t.size <= 8 else 1


def slide_blocks(records, scope_of, limit=SLIDE_RECORDS, pack=True):
    """Records cut into slides: all on one when there are at most `limit`, else consecutive
    layers (scope_of(record), e.g. a Linear, a BN block, a loss) packed while they fit, a
    layer longer than `limit` on slides of its own. pack=False: one layer per slide, always
    (a lecture's step slides, drawn large)."""
    if pack and len(records) <= limit:
        return [list(records)]
    layers = []
    for r in records:
        s = scope_of(r)
        if layers and layers[-1][0] == s:
            layers[-1][1].append(r)
        else:
            layers.append((s, [r]))
    blocks = [[]]
    for _, rs in layers:
        if blocks[-1] and (not pack or len(blocks[-1]) + len(rs) > limit):
            blocks.append([])
        for r in rs:
            if len(blocks[-1]) == limit:
                blocks.append([])
            blocks[-1].append(r)
    return blocks
