"""A tape and the views of it agree: Tape.backward_steps says which steps are on the tape and
refuses a loss that is not the tape's; explain numbers records as str(tape) when given the tape
(or the tape itself); stepper titles say what the page holds."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tape, Tensor, functional as F


def _side_computation():
    """A tape whose first records are a side computation, and a loss computed after the block."""
    x = Tensor(np.random.default_rng(0).standard_normal((4, 2)), requires_grad=True, name="x")
    with Tape() as tape:
        (x * 2).sum().named("side")
        y = F.batch_norm(x, None, None)
    return tape, (y * y).mean().named("loss")


def test_explain_given_the_tape_numbers_records_as_the_tape_does():
    tape, loss = _side_computation()
    listing = str(tape)
    assert "r2: mu = mean(x" in listing
    text = tg.explain(loss, tape=tape)
    assert "  r2: mu = mean(x" in text and "r9: xhat = mul(xmu, ivar)" in text
    assert "r10, r11 not on the tape" in text.splitlines()[0]
    assert "r11: loss = mean(" in text and "(not on the tape)" in text
    assert "fan-in: dxmu" in text and "(via r9 mul)" in text    # sums use the same numbers
    assert "  r0: mu = mean(x" in tg.explain(loss)             # without the tape: its own graph


def test_backward_steps_of_a_tape_tells_which_steps_are_on_it():
    tape, loss = _side_computation()
    on = [step.record in tape for step in tape.backward_steps(loss, retain_graph=True)]
    assert on == [False, False] + [True] * 8
    loss.backward()                                  # the steps equal backward: nothing left over


def test_backward_steps_refuses_a_loss_that_is_not_the_tapes():
    _, loss = _side_computation()
    with Tape() as other:
        Tensor([1.0], requires_grad=True) * 3
    with pytest.raises(ValueError, match=r"depends on none of this tape's 1 records.*inside the"):
        list(other.backward_steps(loss))


def test_explain_takes_a_tape():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    with Tape() as tape:
        (x * x).sum().named("loss")
    text = tg.explain(tape)
    assert text.startswith("forward: 2 records") and "backward: 2 steps" in text
    assert "not on the tape" not in text


def test_stepper_titles_match_their_steps():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    loss = (x * x).sum()
    assert tg.viz.Stepper(loss).title == "forward, then backward, step by step"
    assert tg.viz.Stepper(loss, forward=False).title == "backward, step by step"
