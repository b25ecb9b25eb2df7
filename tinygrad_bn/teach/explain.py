"""A plain-text walk of a small graph: each forward record with its values, then each backward
step with its rule, the gradients it sends and every fan-in sum."""
from ..engine.graph import attrs_text
from .names import named_graph
from .numbers import fmt
from .walk import replay


def explain(tensor, max_elems=12):
    """The forward records of `tensor` with their values, then each backward step: rule, g, result.

    Text only, for a terminal or a doctest; `viz` draws the same walk. Needs a small graph.
    """
    g = named_graph(tensor)
    lines, shown = [f"forward: {len(g.records)} records, in execution order"], set()
    for r in g.records:
        args = ", ".join([g.label(t) for t in r.inputs] + attrs_text(r.attrs))
        lines.append(f"  {g.rid(r)}: {g.label(r.output)} = {r.op}({args})")
        for t in (*r.inputs, r.output):       # each value once: inputs when first used
            if id(t) not in shown:
                shown.add(id(t))
                lines += _value_lines(g.label(t), t.data, max_elems)
    if not tensor.requires_grad:
        return "\n".join(lines + ["backward: nothing requires grad"])
    frames = replay(tensor)
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
