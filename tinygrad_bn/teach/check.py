"""check_by_hand: compare a learner's gradients with the engine's, node by node, in one table.

makemore's `cmp` (exact | approximate | maxdiff) and cs231n's `rel_error`, for a whole graph, plus
what a learner needs next: how many blanks are left, which wrong gradient to fix first, and
hints in stages (the rule, the rule in the graph's names, the expected numbers).
"""
from typing import NamedTuple

import numpy as np

from .names import named_graph
from .numbers import fmt
from .rules import filled_rule
from .walk import gradients


class Row(NamedTuple):
    """One compared tensor: its name, bit-for-bit equal, allclose, largest |difference|."""
    name: str
    exact: bool
    close: bool
    max_abs_diff: float


class Report:
    """The rows of a check_by_hand; `.ok` when every gradient is close; `.rel_errors` (name ->
    cs231n's rel_error); `.blanks` (names given as None); `.notes` (name -> what is off with a
    shape); `.first_wrong` (in backward order); `.hint(name, level)`; str() is the table."""

    def __init__(self, rows, rel_errors, notes, graph, tensors, exact_grads):
        self.rows, self.rel_errors, self.notes = rows, rel_errors, notes
        self.ok = all(r.close for r in rows)
        self._graph, self._tensors, self._want = graph, tensors, exact_grads
        self.blanks = [name for name, note in notes.items() if note is None]
        wrong = sorted((r for r in rows if not r.close and r.name not in self.blanks),
                       key=lambda r: -_backward_rank(graph, tensors[r.name]))
        self.first_wrong = wrong[0].name if wrong else None
        self._wrong = [r.name for r in wrong]

    def __str__(self):
        shown = [r for r in self.rows if r.name not in self.blanks]
        width = max([len(r.name) for r in shown] + [4])
        lines = []
        if shown:
            lines = [f"{'name':<{width}} | exact | close | max_abs_diff | rel_error",
                     f"{'-' * width}-|-------|-------|--------------|----------"]
            lines += [_row_text(r, width, self.rel_errors[r.name], r.name in self.notes)
                      for r in shown]
        lines += [f"  d{n}: {note}" for n, note in self.notes.items() if note]
        if self.blanks:
            lines.append(f"{len(self.blanks)} blank{'s' * (len(self.blanks) > 1)} left: "
                         f"{', '.join('d' + n for n in self.blanks)}")
        if self.first_wrong:
            lines.append(self._verdict())
        elif shown and not self.blanks:
            lines.append("all close")
        elif shown:
            lines.append(f"{len(shown)} checked, all close so far")
        return "\n".join(lines)

    __repr__ = __str__

    def __bool__(self):
        return self.ok

    def _verdict(self):
        root = self.first_wrong
        after = self._wrong[1:]
        ancestors = _ancestor_names(self._graph, self._tensors[root])
        follow = [n for n in after if n in ancestors]
        others = [n for n in after if n not in ancestors]
        text = f"WRONG: fix d{root} first"
        if follow:
            text += f"; {', '.join(follow)} {'depends' if len(follow) == 1 else 'depend'} on it"
        if others:
            text += f"; then check {', '.join('d' + n for n in others)}"
        return text + f" (hints: report.hint({root!r}), then level 2 and 3)"

    def hint(self, name, level=1):
        """A hint for d<name> in stages: 1 the rule of every op that sends it a gradient, 2 those
        rules in this graph's names, 3 the numbers it should come out as."""
        t = self._tensors.get(name)
        t = self._graph.find(name, self._graph.tensors) if t is None else t
        if t is None:
            raise KeyError(f"hint: no tensor named {name!r} in this graph")
        g = self._graph
        label = g.label(t)
        if level >= 3:
            want = self._want.get(id(t))
            return f"d{label} should be\n" + "\n".join(fmt(want, 12)) if want is not None else \
                f"{label} gets no gradient from this loss"
        consumers = [r for r in g.records if any(i is t for i in r.inputs)]
        lines = []
        for r in consumers:
            if level == 1:
                pos = [k for k, i in enumerate(r.inputs) if i is t]
                clauses = [c.strip() for c in r.rule.split(";")]
                rule = " ; ".join(clauses[k] for k in pos if k < len(clauses)) if \
                    len(clauses) == len(r.inputs) else r.rule
                lines.append(f"{g.rid(r)} {r.op} ({g.label(r.output)}) sends it a gradient: {rule}")
            else:
                clause = [c for c in filled_rule(g, r).split(" ; ") if c.startswith(f"d{label} =")]
                lines.append(f"from {g.rid(r)} {r.op}: {' ; '.join(clause) or filled_rule(g, r)}")
        if len(consumers) > 1:
            lines.append(f"{len(consumers)} paths reach {label}: d{label} is their sum")
        return "\n".join(lines)


def check_by_hand(loss_or_tape, grads, rtol=1e-5, atol=1e-8):
    """Compare `grads` (tensor name -> your gradient array) with the engine's gradient of each.

    Works before or after backward: the engine's gradients are replayed when the graph is still
    there, else read from .grad. `close` is np.allclose(rtol, atol), as in makemore's cmp; a
    gradient given as None (not written yet) is a blank; a wrong shape is a row with a hint.
    A short name (`xmu`) finds a qualified one (`bn1.xmu`) when only one matches.
    """
    g = named_graph(loss_or_tape)
    exact_grads = gradients(g)
    with_grad = [t for t in g.tensors if id(t) in exact_grads]
    rows, rel_errors, notes, tensors = [], {}, {}, {}
    for key, mine in grads.items():
        t = g.find(key, with_grad)
        if t is None:
            if g.find(key, g.tensors) is not None:
                raise ValueError(f"check_by_hand: {key!r} gets no gradient from this loss "
                                 "(a constant, or not on the path to the loss); leave it out")
            raise KeyError(f"check_by_hand: no tensor named {key!r} in this graph; its names are "
                           f"{', '.join(sorted(g.label(t) for t in with_grad))}")
        name, want = g.label(t), exact_grads[id(t)]
        tensors[name] = t
        mine = None if mine is None else np.asarray(getattr(mine, "data", mine))
        if mine is None or mine.shape != want.shape:   # a blank not filled in yet, or a shape
            notes[name] = None if mine is None else shape_hint(name, mine.shape, want.shape)
            rows.append(Row(name, False, False, float("nan")))
            rel_errors[name] = float("nan")
            continue
        rows.append(Row(name, bool(np.array_equal(mine, want)),
                        bool(np.allclose(mine, want, rtol=rtol, atol=atol)),
                        float(np.abs(mine - want).max(initial=0.0))))
        rel_errors[name] = rel_error(mine, want)
    return Report(rows, rel_errors, notes, g, tensors, exact_grads)


def shape_hint(name, mine, want):
    """What a wrong gradient shape means: an extra axis, a missing one, or a broadcast not summed."""
    head = f"shape {mine} but {name} has shape {want}: "
    squeezed = tuple(n for n in mine if n != 1)
    if squeezed == tuple(n for n in want if n != 1):
        if len(mine) > len(want):
            lead = "leading " if mine[len(mine) - len(want):] == want else ""
            return head + (f"an extra {lead}axis: drop keepdims=True or .reshape"
                           f"{want if len(want) != 1 else '(' + str(want[0]) + ')'}")
        return head + "a missing axis: did you forget keepdims=True?"
    if np.prod(mine) == np.prod(want):
        return head + f"the same numbers in another layout: transpose or .reshape{want}?"
    if len(mine) >= len(want) and np.prod(mine) > np.prod(want):
        return head + "broadcast but not summed back: sum over the broadcast axes"
    return head + "a gradient has the shape of its tensor"


def rel_error(a, b):
    """cs231n's relative error: max |a - b| / max(1e-8, |a| + |b|), elementwise."""
    return float((np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))).max(initial=0.0))


def _row_text(r, width, rel, shape_wrong):
    diff = f"{'shape':>12}" if shape_wrong else f"{r.max_abs_diff:12.2e}"
    return (f"{r.name:<{width}} | {str(r.exact):<5} | {str(r.close):<5} | {diff} | "
            f"{rel:9.2e}")


def _backward_rank(g, t):
    """When backward finishes t's gradient: at its oldest consumer, so a larger rank is earlier."""
    positions = [k for k, r in enumerate(g.records) if any(i is t for i in r.inputs)]
    return min(positions, default=len(g.records))


def _ancestor_names(g, t):
    """Labels of every tensor t was computed from: their gradients depend on t's."""
    names, stack, seen = set(), [t], set()
    while stack:
        r = stack.pop().record
        if r is None or id(r) in seen:
            continue
        seen.add(id(r))
        for i in r.inputs:
            names.add(g.label(i))
            stack.append(i)
    return names
