"""The primitive contract and the registry of every primitive users can see.

A primitive is pure maths on NumPy arrays: `forward` returns the output and what backward needs,
`backward` turns the upstream gradient into one gradient per input. It never touches Tensors.
"""
import inspect

OPS = {}


class Op:
    """Base class of primitives; subclasses register themselves in OPS under `name`.

    forward(*arrays, **attrs) -> (out, saved)   saved: dict of what backward needs
        A forward with a `needs_input_grad` parameter after the arrays gets the mask backward
        will get (all False when nothing is recorded) and may save only what those grads read.
    backward(g, saved, needs_input_grad)        -> one grad per input (a tuple for several);
        needs_input_grad[i] is False for an input that needs no gradient: return None for it and
        skip its work. A broadcast shape is fine, the engine sums it back (an op that sums it
        itself, fused with a product, sets sums_broadcast so the step view still shows the
        axes). The engine raises if the number of grads differs from the number of inputs.
    rule: one line, one `;` clause per input, in the code's own names.
    """

    name = None
    rule = ""
    sums_broadcast = False      # True: backward may return a broadcast input's grad pre-summed
    saves_by_need = False       # set from forward's signature: it takes needs_input_grad

    def __init_subclass__(cls, abstract=False, **kwargs):
        super().__init_subclass__(**kwargs)
        if abstract:
            return                      # a shared base of several primitives, not one itself
        if not cls.name:
            raise TypeError(f"{cls.__name__}: a primitive needs a `name`")
        if cls.name in OPS:
            raise ValueError(f"{cls.__name__}: primitive name {cls.name!r} is already "
                             f"taken by {OPS[cls.name].__name__}; pick another name")
        OPS[cls.name] = cls
        cls.saves_by_need = "needs_input_grad" in inspect.signature(cls.forward).parameters

    @staticmethod
    def forward(*arrays, **attrs):
        raise NotImplementedError

    @staticmethod
    def backward(g, saved, needs_input_grad):
        raise NotImplementedError
