"""Graphs as Graphviz DOT: a tensor's or tape's records drawn with stable node ids, values,
gradients, collapsed scopes and a highlighted record. In Jupyter a Digraph shows as SVG.

Every name is escaped on its way in (quoted DOT strings, or HTML-escaped in slide labels), so a
tensor called `<b>` or `"]; x -> y [` is drawn as those characters and never parsed as DOT.
"""
import graphviz

from ...engine.graph import attrs_text
from ...nn import Parameter
from ..names import named_graph
from ..numbers import fmt, minus
from .layout import auto_rankdir
from .slide import OP_SYMBOLS, SLIDE_LOOK, grad_head, one_line, slide_cells, slide_label, snake_rows

STYLE_NAMES = (None, "slide")
LOOK = {"graph": {"fontname": "Helvetica", "fontsize": "12", "nodesep": "0.25", "ranksep": "0.35"},
        "node": {"fontname": "Courier", "fontsize": "10", "margin": "0.08,0.04"},
        "edge": {"fontname": "Helvetica", "fontsize": "9", "color": "#555555"}}
PARTIAL = {"color": "#e67e22", "penwidth": "2", "style": "rounded,filled,dashed"}

_BOX = {"shape": "box", "style": "rounded,filled"}
STYLES = {                               # node kind -> Graphviz attributes (see legend())
    "input": {**_BOX, "fillcolor": "#cfe2ff"},
    "param": {**_BOX, "fillcolor": "#d3f2d3"},
    "const": {**_BOX, "fillcolor": "#eeeeee", "style": "rounded,filled,dashed"},
    "output": {**_BOX, "fillcolor": "#ffe08a", "penwidth": "2"},
    "data": {**_BOX, "fillcolor": "white"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#efe3fb"},
    "group": {"shape": "box3d", "style": "filled", "fillcolor": "#e4d3f5"},
    "backward_op": {"shape": "ellipse", "style": "filled", "fillcolor": "#ffd8b5"},
    "grad": {**_BOX, "fillcolor": "#fff1e0"},
}
_DTYPES = {}                             # dtype -> its name; str(dtype) is slow at 100,000 nodes
HIGHLIGHT = {"color": "#d62728", "penwidth": "3"}
KIND_TEXT = {"input": "input (the leaf the first op reads, requires grad)",
             "param": "parameter (any other leaf that requires grad)",
             "const": "constant (no grad)", "output": "output", "data": "intermediate",
             "op": "op (primitive)", "group": "collapsed scope",
             "backward_op": "op of a backward (create_graph=True)",
             "grad": "gradient (made by a backward)"}


class Html(str):
    """A Graphviz HTML-like label, written as <...>; every other attribute value is quoted."""


def to_dot(tensor_or_tape, show_values=False, show_grads=False, show_rules=False, collapse=None,
           rankdir=None, max_elems=6, expand=False, style=None):
    """The graph of a tensor's past (or a tape) as a graphviz.Digraph, with stable node ids.

    collapse=True draws each layer (and loss) as one box, a scope name such as "batch_norm" only
    those; expand=True makes them labelled clusters that still show every record.
    rankdir: "LR", "TB", or None to pick the direction whose picture is nearest 16:9.
    style="slide": textbook symbols (μ, σ², x̂, ...), few digits, big fonts, sized for a 16:9 slide.
    """
    if style not in STYLE_NAMES:
        raise ValueError(f"to_dot: style={style!r}; use one of {STYLE_NAMES}")
    return Drawing(named_graph(tensor_or_tape), show_values=show_values, show_grads=show_grads,
                   show_rules=show_rules, collapse=collapse, rankdir=rankdir, max_elems=max_elems,
                   expand=expand, style=style).draw()


class Drawing:
    """One conversion of a NamedGraph to DOT. The frames also pass `grads` known so far,
    `arrived` (id -> (k, n) paths), `values` shown so far (None: all), a `highlight`, a caption,
    and `records`, a subset of the graph's records to draw (one slide of several)."""

    def __init__(self, g, show_values=False, show_grads=False, show_rules=False, collapse=None,
                 rankdir=None, max_elems=6, expand=False, style=None, grads=None, arrived=None,
                 values=None, highlight=None, caption=None, records=None):
        self.g, self.show_values, self.rules, self.max_elems = g, show_values, show_rules, max_elems
        self.grads = grads if grads is not None else (
            {id(t): t.grad for t in g.tensors if t.grad is not None} if show_grads else {})
        self.arrived, self.known_values = arrived or {}, values
        self.highlight, self.caption = highlight, caption
        self.slide = style == "slide"
        self.records = g.records if records is None else records
        touched = {id(t) for r in self.records for t in (*r.inputs, r.output)}
        self.tensors = g.tensors if records is None else [t for t in g.tensors if id(t) in touched]
        self.group = {id(r): _scope_of(r, collapse) for r in self.records}
        self.cluster = {s: f"c{k}" for k, s in enumerate(dict.fromkeys(
            s for s in self.group.values() if s))}
        self.expand = expand
        self.owner = {id(r.output): self.group[id(r)] for r in self.records}  # tensor -> its scope
        self.hidden = {} if expand or not collapse else self._inside()
        self.rankdir = rankdir or ("TB" if self.slide else auto_rankdir(self))
        first = g.records[0].inputs[:1] if g.records else ()    # the whole graph's, not a slide's
        self.entry = {id(t) for t in first if t.record is None}     # the data the graph starts from
        self.forward_of = {id(r): f for r in self.records if (f := _forward_tag(r)) is not None}
        self.by_index = {r.index: r for r in self.records} if self.forward_of else {}

    def _inside(self):
        """Tensors a collapsed box hides -> its scope: results used only inside it, and constants
        only it reads that are one number (eps) or one per row (softmax's max shift); data such
        as x stays visible."""
        users = {}
        for r in self.records:
            for t in r.inputs:
                users.setdefault(id(t), set()).add(self.group[id(r)])
        for t in self.g.outputs:
            users.setdefault(id(t), set()).add(None)
        for t in self.tensors:
            if (t.record is None and not t.requires_grad and len(users.get(id(t), ())) == 1
                    and (t.size == 1 or (t.name is None and t.ndim > 1 and t.shape[-1] == 1))):
                self.owner.setdefault(id(t), next(iter(users[id(t)])))
        return {tid: s for tid, s in self.owner.items()
                if s is not None and users.get(tid, {s}) == {s}}

    def draw(self):
        """The Digraph: data nodes (boxes), op nodes (ellipses) or layer boxes, and the edges."""
        look = SLIDE_LOOK if self.slide else LOOK
        dot = graphviz.Digraph("tinygrad_bn", graph_attr={"rankdir": self.rankdir, **look["graph"]},
                               node_attr=look["node"], edge_attr=look["edge"])
        if self.caption:
            dot.attr(label=self.caption, labelloc="t", labeljust="l", fontsize="16")
        clusters = {s: graphviz.Digraph(f"cluster_{c}", graph_attr={
            "label": self._group_label(s), "style": "rounded,dashed", "color": "#8a63b8"})
            for s, c in self.cluster.items()} if self.expand else {}
        for t in self.tensors:
            if id(t) not in self.hidden:
                tid = self.g.tid(t)
                clusters.get(self.owner.get(id(t)), dot).body.append(_stmt(
                    tid, label=self._data_label(t), id=tid, tooltip=self._data_tip(t),
                    **self._data_style(t)))
        self._draw_ops(dot, clusters)
        for sub in clusters.values():
            dot.subgraph(sub)
        if self.slide and not self.cluster:
            dot.body += snake_rows(self.g, self.records)
        return dot

    def _draw_ops(self, dot, clusters):
        edges, drawn = set(), set()
        for r in self.records:
            node, s = self.node_of(r), self.group[id(r)]
            if node not in drawn:
                drawn.add(node)
                hot = self.highlight is not None and node == self.node_of(self.highlight)
                kind = "backward_op" if id(r) in self.forward_of else "op"
                label = self._group_label(s) if node.startswith("c") else self._op_label(r)
                tip = _esc(self.g.scope_label(s)) if node.startswith("c") else self._op_tip(r)
                clusters.get(s, dot).body.append(_stmt(
                    node, label=label, id=node, tooltip=tip,
                    **STYLES["group" if node.startswith("c") else kind], **(HIGHLIGHT if hot else {})))
            for i, t in enumerate(r.inputs):
                src = self.source_of(t)
                pos = f"{i}: " if len(r.inputs) > 1 and node.startswith("r") else ""
                if src != node and (src, node, pos) not in edges:
                    edges.add((src, node, pos))
                    dot.body.append(_stmt(f"{src} -> {node}", label=self._edge_label(pos, t),
                                          id=edge_id(src, node, i)))
            if id(r.output) not in self.hidden:
                out = self.g.tid(r.output)
                dot.body.append(_stmt(f"{node} -> {out}", label=self._edge_label("", r.output),
                                      id=edge_id(node, out, "o")))

    def source_of(self, t):
        """The node an input edge starts from: the tensor's box, or the collapsed box hiding it."""
        return self.cluster[self.hidden[id(t)]] if id(t) in self.hidden else self.g.tid(t)

    def node_of(self, r):
        """The node that draws record r: r<k>, or its collapsed scope's box c<k>."""
        s = self.group[id(r)]
        return self.cluster[s] if s and not self.expand else self.g.rid(r)

    def _edge_label(self, pos, t):
        return "" if self.slide else _esc(pos + _shape(t))

    def _group_label(self, s):
        n = sum(1 for v in self.group.values() if v == s)
        return _esc(self.g.scope_label(s)) + f"\\n{n} op{'s' if n > 1 else ''}"

    def _op_label(self, r):
        if self.slide:
            return _esc(f"{self.g.rid(r)}  {OP_SYMBOLS.get(r.op, r.op)}")
        lines = [f"{self.g.rid(r)}: {r.op}"] + attrs_text(r.attrs)
        tag = self.forward_of.get(id(r))
        if tag is not None:                 # rN when the forward record is drawn, else its op
            forward = self.by_index.get(tag.forward)
            lines.append(f"({tag.split('#')[0]})" if forward is None else
                         f"(backward of {self.g.rid(forward)})")
        if self.rules:
            lines += [clause.strip() for clause in r.rule.split(";")]
        return "\\n".join(_esc(line) for line in lines)

    def _op_tip(self, r):
        return _esc(f"{self.g.rid(r)} {r.op} -> {_shape(r.output)}")

    def _data_tip(self, t):
        made = f"made by {self.g.rid(t.record)} {t.record.op}" if id(t) in self.g.produced else "leaf"
        kind = "" if self.slide else f" {_dtype(t)}"                  # slides show no dtypes
        return _esc(f"{self.g.label(t)}: {_shape(t)}{kind}, {made}")

    def head_lines(self, t):
        """The label's first lines: the name (slide: its symbol), then shape and dtype."""
        if self.slide:
            return [self.symbol(t)]
        return [self.g.label(t), f"{_shape(t)} {_dtype(t)}"]

    def symbol(self, t):
        """The slide's name for t: a textbook symbol (x−μ with a minus sign, μ₁ and μ₂ where two BN
        layers have one each), else its label as written (a name's hyphens stay hyphens)."""
        return self.g.symbol(t)

    def value_lines(self, t):
        """The value rows the label prints (none before forward reaches t, or when not shown)."""
        shown = self.known_values is None or id(t) in self.known_values
        if not (shown and (self.show_values or (t.size == 1 and not t.requires_grad))):
            return []
        return slide_cells(t.data) if self.slide else [minus(x) for x in fmt(t.data, self.max_elems)]

    def grad_lines(self, t, grad, arrived):
        """The gradient rows: `dname: (1 of 2 paths)` (slide: ∂ and the symbol), then values."""
        k, n = arrived
        if self.slide:
            return [grad_head(self.symbol(t), k, n)] + slide_cells(grad)
        return [f"d{self.g.label(t)}:{arrival_text(k, n)}"] + [minus(x) for x in fmt(grad, self.max_elems)]

    def _data_label(self, t):
        grad = self.grads.get(id(t))
        grads = [] if grad is None else self.grad_lines(t, grad, self.arrived.get(id(t), (0, 1)))
        if self.slide:
            return Html(slide_label(self.symbol(t), self.value_lines(t), grads))
        head = "".join(_esc(line) + "\\n" for line in self.head_lines(t))
        return head + "".join(_esc(line) + "\\l" for line in self.value_lines(t) + grads)

    def _data_style(self, t):
        style = dict(STYLES[self.kind(t)])
        if self.highlight is not None and any(t is u for u in (self.highlight.output,
                                                              *self.highlight.inputs)):
            style.update(color=HIGHLIGHT["color"], penwidth="2")
        k, n = self.arrived.get(id(t), (0, 1))
        if 0 < k < n:
            style.update(PARTIAL)
        return style

    def kind(self, t):
        """The node's role, which picks its colour: output, intermediate, constant, the input
        the graph starts from, or parameter (every other leaf that requires grad), never by name."""
        if any(t is o for o in self.g.outputs):
            return "output"
        if id(t) in self.g.produced:
            return "grad" if id(t.record) in self.forward_of else "data"
        if not t.requires_grad:
            return "const"
        if id(t) in self.entry and not (isinstance(t, Parameter) or id(t) in self.g.param_names):
            return "input"
        return "param"


def arrival_text(k, n):
    """' (1 of 2 paths)' while a fan-in sum is partial, ' (2 of 2 paths: complete)' after."""
    if n < 2:
        return ""
    return f" ({k} of {n} paths{': complete' if k == n else ''})"


def edge_id(src, dst, pos):
    """The SVG id of an edge: `e:t3:r4:1` (input 1 of r4), `e:r4:t5:o` (r4's output)."""
    return f"e:{src}:{dst}:{pos}"


def _scope_of(record, collapse):
    """The outermost scope of `record` that `collapse` groups, or None. collapse=True groups
    layers (modules without children), losses and functional scopes, never containers."""
    if not collapse:
        return None
    names = None if collapse is True else ({collapse} if isinstance(collapse, str) else set(collapse))
    for tag in record.scope:
        owner = getattr(tag, "owner", None)
        if names is None and (owner is None or not owner.named_children()):
            return tag
        if names is not None and tag.split("#")[0] in names:
            return tag
    return None


def _forward_tag(record):
    """The scope tag `backward of <op>#k` of a record a create_graph backward made (its
    `forward` is the index of the record differentiated), or None."""
    for tag in reversed(record.scope):
        if getattr(tag, "forward", None) is not None:
            return tag
    return None


def _stmt(head, **attrs):
    """One DOT statement, written directly: graphviz's own quoting is too slow for 100,000 nodes.
    Values arrive escaped (_esc) with their \\n and \\l line ends; only an Html label is <...>."""
    return "\t" + head + " [" + " ".join(
        f"{k}=<{v}>" if isinstance(v, Html) else f'{k}="{v}"' for k, v in attrs.items()) + "]\n"


def _esc(text):
    """Text for a quoted DOT string: backslashes and quotes escaped, line breaks shown as ⏎
    (a name with a newline stays one line of the label)."""
    return one_line(text).replace("\\", "\\\\").replace('"', '\\"')


def _dtype(t):
    name = _DTYPES.get(t.dtype)
    return name if name is not None else _DTYPES.setdefault(t.dtype, str(t.dtype))


def _shape(t):
    return str(tuple(t.shape)) if t.shape else "scalar"


def legend():
    """A small Digraph naming each node style, to show beside a graph (or in the docs)."""
    dot = graphviz.Digraph("legend", graph_attr={"rankdir": "LR", "label": "legend",
                                                 "fontname": "Helvetica"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"})
    for kind, text in KIND_TEXT.items():
        dot.node(kind, text, **STYLES[kind])
    dot.node("waiting", "gradient waiting for more paths (fan-in)", **{**STYLES["data"], **PARTIAL})
    dot.node("now", "current step (backward frames)", **STYLES["op"], **HIGHLIGHT)
    return dot
