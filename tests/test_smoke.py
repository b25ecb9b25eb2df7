"""The smallest check that the package works: one gradient through the engine."""
import numpy as np

import tinygrad_bn as tg


def test_square_sum_grad():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
