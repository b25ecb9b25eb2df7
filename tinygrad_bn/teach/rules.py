"""An op's derivative rule filled in with the graph's names: `dvar_eps = dsqrtvar / (2 * sqrtvar)`
instead of `dx = g / (2 * out)`. The rule stays the template; only its names change."""
import inspect
import re

_WORD = re.compile(r"\b[A-Za-z_]\w*\b")


def filled_rule(g, record):
    """record.rule with g -> d<output>, out -> <output>, and each input's name (and d<name>) ->
    that input's label in Graph g; clauses for inputs that need no gradient are left out."""
    params = [p.name for p in inspect.signature(record.impl.forward).parameters.values()
              if p.kind is p.POSITIONAL_OR_KEYWORD][:len(record.inputs)]
    if len(params) != len(record.inputs):
        return record.rule                     # variadic ops (concatenate, stack): as written
    out = g.label(record.output)
    names = {"g": f"d{out}", "out": out}
    for p, t in zip(params, record.inputs):
        names[p], names[f"d{p}"] = g.arg(t), f"d{g.label(t)}"
    clauses = [c.strip() for c in record.rule.split(";")]
    if len(clauses) == len(params):            # one clause per input, in order
        clauses = [c for c, t in zip(clauses, record.inputs) if t.requires_grad] or clauses
    return " ; ".join(_WORD.sub(lambda m: names.get(m.group(), m.group()), c) for c in clauses)
