"""A plain-text walk of a small graph: each forward record with its values, then each backward
step with its rule, the gradients it sends and every fan-in sum."""
from ..engine.graph import attrs_text
from .names import named_graph
from .numbers import fmt
from .walk import loss_of, replay


def explain(tensor, max_elems=12, tape=None):
    """The forward records of `tensor` with their values, then each backward step: rule, g, result.

    Text only, for a terminal or a doctest; `viz` draws the same walk. Needs a small graph.
    `tensor` may be a Tape (its loss is explained); given a tape, records are numbered as
    str(tape) numbers them, and those the loss needs from outside it are marked.
    """
    if hasattr(tensor, "records"):                 # a Tape: its one output is the loss
        tape, tensor = tensor, loss_of(named_graph(tensor))
    g = named_graph(tensor, tape)
    off = [r for r in g.records if not g.on_tape(r)]
    lines, shown = [f"forward: {len(g.records)} records, in execution order"], set()
    if off:
        lines[0] += (f" ({', '.join(g.rid(r) for r in off)} not on the tape: the loss needs them "
                     "from outside it; backward walks them too)")
    for r in g.records:
        args = ", ".join([g.label(t) for t in r.inputs] + attrs_text(r.attrs))
        mark = "" if g.on_tape(r) else "    (not on the tape)"
        lines.append(f"  {g.rid(r)}: {g.label(r.output)} = {r.op}({args}){mark}")
        for t in (*r.inputs, r.output):       # each value once: inputs when first used
            if id(t) not in shown:
                shown.add(id(t))
                lines += _value_lines(g.label(t), t.data, max_elems)
    if not tensor.requires_grad:
        return "\n".join(lines + ["backward: nothing requires grad"])
    frames = replay(tensor, tape=tape)
    lines.append(f"backward: {len(frames)} steps, newest record first")
    for k, frame in enumerate(frames, 1):
        step = frame.step
        r = step.record
        lines.append(f"  step {k}: {g.rid(r)} {r.op}    rule: {r.rule}")
        lines += _value_lines("g = d" + g.label(r.output), step.grad_output, max_elems)
        for t, gi, axes, (k, n), fan_in in zip(r.inputs, step.grad_inputs, step.reduced_axes,
                                               frame.paths, frame.sums):
            if gi is None:
                continue
            note = (f"  (summed over axes {axes})" if axes else "") + (
                f"  (path {k} of {n})" if n > 1 else "")
            lines += _value_lines(f"-> d{g.label(t)}{note}", gi, max_elems)
            if fan_in is not None:
                lines.append(f"      fan-in: {fan_in.equation()}  ({fan_in.status()})")
    return "\n".join(lines)


def _value_lines(name, arr, max_elems):
    body = fmt(arr, max_elems)
    pad = " " * (len(name) + 9)
    return [f"      {name} = {body[0]}"] + [pad + line for line in body[1:]]
