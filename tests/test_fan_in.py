"""Fan-in sums in the teaching views: by default an element where every path contributes (said
in the text), any element's sum on request, and one number format per line."""
import numpy as np

import tinygrad_bn as tg
from tinygrad_bn import Tensor
from tinygrad_bn.teach.numbers import short
from tinygrad_bn.teach.walk import FanIn, element_sums, replay, same_format


def _relu_fan_in():
    """x reaches the loss through a ReLU (dead at x[0, 0] and x[1, 0]) and through a mul."""
    x = Tensor([[-1.0, 2.0], [-3.0, 0.5]], requires_grad=True, name="x")
    c = Tensor([[1.0, 2.0], [3.0, 4.0]], name="c")
    d = Tensor([[0.5, -0.25], [0.125, 1.0]], name="d")
    return ((x.relu() * c).sum() + (x * d).sum()).named("loss")


def test_the_example_element_is_one_where_every_path_contributes():
    loss = _relu_fan_in()
    fan_in = element_sums(replay(loss), "x")
    assert fan_in.element == (0, 1)
    assert fan_in.equation() == "dx = -0.25 (via r3 mul) + 2 (via r0 relu) = 1.75"
    assert fan_in.status().startswith("element [0, 1] of (2, 2); 2 of 2 paths arrived")
    text = tg.explain(loss)
    assert "fan-in: dx = -0.25 (via r3 mul) + 2 (via r0 relu) = 1.75  (element [0, 1] of (2, 2)" in text


def _element(*parts):
    return FanIn("x", tuple((f"r{k} op", p) for k, p in enumerate(parts)), sum(parts),
                 len(parts), len(parts)).element


def test_the_example_element_skips_elements_a_path_does_not_reach():
    relu_killed = np.array([[0.0, 0.3], [0.2, 0.0]])
    assert _element(np.ones((2, 2)), relu_killed) == (0, 1)
    assert _element(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 2.0])) == (2,)
    assert _element(np.array([0.0, 1.0, 0.0]), np.zeros(3)) == (1,)      # reached by most
    assert _element(np.zeros(2), np.zeros(2)) == (0,)
    assert _element(np.float64(2.0), np.float64(0.0)) == ()                # a scalar


def test_any_element_of_a_fan_in_gives_its_own_sum():
    fan_in = element_sums(replay(_relu_fan_in()), "x")
    terms, total = fan_in.terms((1, 0))
    assert terms == [("r3 mul", 0.125), ("r0 relu", 0.0)] and total == 0.125
    assert fan_in.equation((1, 1)) == "dx = 1 (via r3 mul) + 4 (via r0 relu) = 5"
    x = np.array([[-1.0, 2.0], [-3.0, 0.5]])
    want = (x > 0) * np.array([[1.0, 2.0], [3.0, 4.0]]) + np.array([[0.5, -0.25], [0.125, 1.0]])
    for index in np.ndindex(2, 2):                    # every element adds up to the gradient
        terms, total = fan_in.terms(index)
        assert total == want[index] == sum(v for _, v in terms)


def test_one_path_gives_no_fan_in():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    assert element_sums(replay((x * 3).sum()), "x") is None


def test_numbers_of_one_sum_share_a_format_and_signs_read_as_subtraction():
    assert same_format([-7.323e-05, -6.208e-05, -0.00013531]) == ["-7.323e-05", "-6.208e-05", "-1.353e-04"]
    assert same_format([-0.2245, 0.0158, -0.2087]) == ["-0.2245", "0.0158", "-0.2087"]
    assert short(-0.0) == "0"
    x = Tensor([2.0], requires_grad=True, name="x")
    loss = (x * 3 - x * 0.5).sum()
    line = [ln for ln in tg.explain(loss).splitlines() if "fan-in" in ln][0]
    assert "dx = -0.5 (via r1 mul) + 3 (via r0 mul) = 2.5" in line
    y = Tensor([2.0], requires_grad=True, name="y")
    line = [ln for ln in tg.explain((y * 3 - y * 5).sum()).splitlines() if "fan-in" in ln][0]
    assert "dy = -5 (via r1 mul) + 3 (via r0 mul) = -2" in line
