"""Program: a recorded call replayed as a straight-line program over a list of arrays (slots).

Forward runs each record's op on slot arrays; backward walks the recorded order calling each
op's backward, sums broadcasts back and adds up gradients exactly as the eager walk does; the
effects (zero_grad, the optimizer step, BN's running statistics, dropout draws) run between
them where they ran. No Tensor, Record or lock is made per op: the same NumPy calls in the same
order, so the results are the eager ones, bit for bit.
"""
import numpy as np

from ..engine import Tensor, sum_to_shape
from ..engine.backward import fresh
from ..engine.graph import Graph
from .recording import Backward

FORWARD, EFFECT, BACKWARD = range(3)


class Program:
    """The replayable form of a Description (see recording.py); run(arrays, tensors) replays it."""

    def __init__(self, description, n_args):
        self.description, self.tape = description, description.tape
        rows = description.rows
        self.n_args, self.n_records = n_args, len(rows)
        self.slots = [None] * (n_args + len(rows))     # allocated once, refilled every call
        self._empty = self.slots[:]
        self._leaves = {}                               # ref key -> slot of a param/const/cast/effect
        self.params, self.casts, self.steps = [], [], []
        position = 0
        for j, e in enumerate(description.effects):
            self._forward(rows, position, e.position)
            position = e.position
            self.steps.append(self._backward(e, rows) if isinstance(e, Backward) else
                              self._effect(e, j))
        self._forward(rows, position, len(rows))
        self.output = description.output
        self.returned = {self.slot(ref[1]) for ref in _tensors(self.output)}

    def slot(self, ref):
        """The slot of a value, given its ref ("arg", i), ("out", k), ("param", t), ..."""
        kind = ref[0]
        if kind == "arg":
            return ref[1]
        if kind == "out":
            return self.n_args + ref[1]
        key = (kind, id(ref[1])) if kind in ("param", "const") else ref
        s = self._leaves.get(key)
        if s is None:
            s = self._leaves[key] = len(self.slots)
            self.slots.append(ref[1] if kind == "const" else None)
            if kind == "param":
                self.params.append((s, ref[1]))
            elif kind == "cast":
                self.casts.append((s, ref[1], ref[2]))
        return s

    def _forward(self, rows, start, stop):
        if start == stop:
            return
        ops = []
        for k, r in enumerate(rows[start:stop], start):
            ins = tuple(map(self.slot, r.inputs))
            arity = len(ins) if len(ins) in (1, 2) else 0      # 1 and 2 skip building a list
            ops.append((r.impl.forward, arity, ins[0], ins[-1], ins, r.needs, r.attrs,
                        self.n_args + k, k))
        self.steps.append((FORWARD, ops))

    def _effect(self, e, j):
        args = tuple(map(self.getter, e.args))
        kwargs = {k: self.getter(v) for k, v in e.kwargs.items()}
        return EFFECT, (e.fn, args, kwargs, self.slot(("effect", j)))

    def getter(self, ref):
        """(kind, a, b) to read a value an effect gets or the function returns: a slot, a saved
        array, or the value itself (see _read)."""
        if ref[0] == "saved":
            return ("saved", ref[1], ref[2])
        if ref[0] == "value":
            return ("value", ref[1], None)
        return ("slot", self.slot(ref), None)

    def _backward(self, e, rows):
        walk = []
        for k in e.walk:
            r, inputs = rows[k], []
            for i, (ref, need) in enumerate(zip(r.inputs, r.needs)):
                if need:
                    leaf = ref if ref[0] in ("param", "arg") else None
                    inputs.append((i, self.slot(ref), r.in_shapes[i], leaf))
            walk.append((self.n_args + k, r.impl.backward, k, r.needs, r.op, tuple(inputs)))
        grad = None if e.grad is None else self.getter(e.grad)
        return BACKWARD, (self.n_args + e.loss, grad, e.retain_graph, walk)

    def run(self, arrays, tensors):
        """Replay the program on new input arrays (tensors: the argument Tensors, None for arrays)."""
        slots, saved, grads = self.slots, [None] * self.n_records, {}
        slots[:len(arrays)] = arrays
        for s, t in self.params:
            slots[s] = t.data
        for s, i, dtype in self.casts:
            slots[s] = arrays[i].astype(dtype)
        for kind, step in self.steps:
            if kind == FORWARD:
                for forward, arity, a, b, ins, needs, attrs, o, k in step:
                    if arity == 2:
                        slots[o], saved[k] = forward(slots[a], slots[b], needs_input_grad=needs,
                                                     **attrs)
                    elif arity == 1:
                        slots[o], saved[k] = forward(slots[a], needs_input_grad=needs, **attrs)
                    else:
                        slots[o], saved[k] = forward(*[slots[i] for i in ins],
                                                     needs_input_grad=needs, **attrs)
            elif kind == EFFECT:
                fn, args, kwargs, out = step
                value = fn(*[_read(a, slots, saved) for a in args],
                           **{k: _read(v, slots, saved) for k, v in kwargs.items()})
                slots[out] = value
            else:
                self._walk(step, slots, saved, tensors, grads)
        result = _build(self.output, slots, saved, grads, self)
        slots[:self.n_args + self.n_records] = self._empty      # free this call's arrays
        return result

    def _walk(self, step, slots, saved, tensors, returned_grads):
        """The eager backward walk over slots: same calls, same order, same sums."""
        loss, grad, retain_graph, walk = step
        seed = slots[loss]
        totals = [None] * len(slots)
        totals[loss] = (np.ones(seed.shape, seed.dtype) if grad is None
                        else np.array(_read(grad, slots, saved), dtype=seed.dtype))
        returned = self.returned
        for o, backward, k, needs, op, inputs in walk:
            g = totals[o]
            if g is None:
                continue
            totals[o] = None
            if o in returned:
                returned_grads[o] = g
            grads = backward(g, saved[k], needs)
            if type(grads) is not tuple:
                grads = (grads,)
            for i, s, shape, leaf in inputs:
                gi = grads[i]
                if gi is None:
                    continue
                if type(gi) is not np.ndarray:
                    gi = np.asarray(gi)
                if gi.shape != shape:
                    gi = sum_to_shape(gi, shape, op)[0]
                if leaf is not None:                    # += into .grad, as the eager walk
                    t = leaf[1] if leaf[0] == "param" else tensors[leaf[1]]
                    t.grad = t.grad + gi if t.grad is not None else fresh(gi, g, grads[:i], t.data)
                    continue
                total = totals[s]
                if total is not None:
                    totals[s] = total + gi
                elif gi.base is None and gi.flags.writeable and gi.strides == slots[s].strides:
                    totals[s] = gi      # shared where eager copies: the same values, same layout
                else:                                   # the eager walk's copy, in its layout
                    totals[s] = fresh(gi, g, grads[:i], slots[s])
            if not retain_graph:
                saved[k] = None

    def __str__(self):
        """The program: the records as r0.. lines (as str(tape)), the effects where they ran."""
        graph = Graph(self.tape.records)
        lines = graph.listing().split("\n") if self.tape.records else []
        for e in reversed(self.description.effects):
            lines.insert(e.position, "   " + _effect_text(e, graph, self.tape.records))
        return "\n".join(lines)


def _effect_text(e, graph, records):
    """An effect as one line: `backward from r13 ...` or `_update_running(array(8,), mu, ...)`."""
    if isinstance(e, Backward):
        return f"backward from r{e.loss}: the {len(e.walk)} records it depends on, newest first"

    def text(ref):
        kind, value = ref[0], ref[1]
        if kind == "out":
            return graph.label(records[value].output)
        if kind == "saved":
            return f"r{value}.saved[{ref[2]!r}]"
        if kind != "value":
            return f"{kind} {value}"
        if isinstance(value, np.ndarray):
            return f"array{value.shape}"
        short = repr(value)
        return short if len(short) <= 24 and not short.startswith("<") else type(value).__name__
    name = f"numpy.{e.fn.__name__}" if isinstance(e.fn, np.ufunc) else e.fn.__qualname__
    args = [text(a) for a in e.args] + [f"{k}={text(v)}" for k, v in e.kwargs.items()]
    return f"effect {name}({', '.join(args)})"


def _read(getter, slots, saved):
    kind, a, b = getter
    if kind == "slot":
        return slots[a]
    if kind == "saved":
        return saved[a][b]
    return a


def _tensors(tree):
    """The ("tensor", ref) leaves of an output tree."""
    if tree[0] == "seq":
        return [x for v in tree[2] for x in _tensors(v)]
    return [tree] if tree[0] == "tensor" else []


def _build(tree, slots, saved, grads, program):
    """The function's result for this replay: Tensors around the slot arrays."""
    if tree[0] == "seq":
        return tree[1](_build(v, slots, saved, grads, program) for v in tree[2])
    if tree[0] == "tensor":
        s = program.slot(tree[1])
        t = Tensor(slots[s])
        t.grad = grads.get(s)
        return t
    return _read(program.getter(tree), slots, saved)

