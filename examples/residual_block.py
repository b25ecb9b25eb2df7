"""A residual block with batch norm, as a CLI target: `tinygrad-bn slides examples/residual_block.py:loss`.

The skip connection makes x's gradient a sum of two paths, which explain and the slides write out.
"""
from tinygrad_bn import functional as F, nn, randn


class Residual(nn.Module):
    """out = relu(x + bn(fc(x))): the gradient reaches x through fc and through the skip."""

    def __init__(self, features):
        self.fc, self.bn = nn.Linear(features, features), nn.BatchNorm1d(features)

    def forward(self, x):
        return (x + self.bn(self.fc(x))).relu()


def loss():
    """The block on a batch of 4 rows, then cross-entropy: 14 records."""
    x = randn(4, 2, requires_grad=True).named("x")
    return F.cross_entropy(Residual(2)(x), [0, 1, 1, 0]).named("loss")
