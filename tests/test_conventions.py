"""Running-statistics conventions: a two-step example worked by hand, then PyTorch itself."""
import numpy as np
import pytest

from tinygrad_bn.teach.conventions import (CONVENTIONS, CS231N, KERAS, PYTORCH, EPS_FOLDED,
                                     compare_conventions, eval_output, running_stats, to_ours)

EPS = 1e-5
# Two batches, N = 2, two features. Per feature: batch mean, biased var (1/n), unbiased (1/(n-1)).
#   batch 1 [[1, 0], [3, 4]]: f0 mean 2, deviations +-1 -> var 1, unbiased 2
#                             f1 mean 2, deviations +-2 -> var 4, unbiased 8
#   batch 2 [[2, 5], [6, 5]]: f0 mean 4, deviations +-2 -> var 4, unbiased 8
#                             f1 mean 5, constant     -> var 0, unbiased 0
BATCHES = [np.array([[1.0, 0.0], [3.0, 4.0]]), np.array([[2.0, 5.0], [6.0, 5.0]])]
X_EVAL, GAMMA, BETA = np.array([[3.0, 2.0]]), np.array([2.0, 1.0]), np.array([1.0, 0.0])

BY_HAND = {
    # PyTorch: new weight 0.1, start mean 0 / var 1, unbiased.
    #   mean: 0.9*0 + 0.1*2 = 0.2 -> f0 0.9*0.2 + 0.1*4 = 0.58, f1 0.9*0.2 + 0.1*5 = 0.68
    #   var:  f0 0.9*1 + 0.1*2 = 1.1 -> 0.9*1.1 + 0.1*8 = 1.79
    #         f1 0.9*1 + 0.1*8 = 1.7 -> 0.9*1.7 + 0.1*0 = 1.53
    PYTORCH: ([0.58, 0.68], [1.79, 1.53]),
    # Keras: 0.99 on the old value, start var 1, biased.
    #   mean: 0.01*2 = 0.02 -> f0 0.99*0.02 + 0.01*4 = 0.0598, f1 0.99*0.02 + 0.01*5 = 0.0698
    #   var:  f0 0.99*1 + 0.01*1 = 1.0 -> 0.99*1.0 + 0.01*4 = 1.03
    #         f1 0.99*1 + 0.01*4 = 1.03 -> 0.99*1.03 + 0.01*0 = 1.0197
    KERAS: ([0.0598, 0.0698], [1.03, 1.0197]),
    # cs231n: 0.9 on the old value, start var 0, biased. Means as PyTorch's (same weights).
    #   var: f0 0.1*1 = 0.1 -> 0.9*0.1 + 0.1*4 = 0.49;  f1 0.1*4 = 0.4 -> 0.9*0.4 + 0 = 0.36
    CS231N: ([0.58, 0.68], [0.49, 0.36]),
    # note 001: as cs231n, but each batch contributes var + eps.
    #   var: f0 0.1*(1 + eps) -> 0.9*0.1*(1 + eps) + 0.1*(4 + eps) = 0.49 + 0.19*eps
    #        f1 0.1*(4 + eps) -> 0.9*0.1*(4 + eps) + 0.1*(0 + eps) = 0.36 + 0.19*eps
    EPS_FOLDED: ([0.58, 0.68], [0.49 + 0.19 * EPS, 0.36 + 0.19 * EPS]),
}


@pytest.mark.parametrize("conv", CONVENTIONS, ids=lambda c: c.name)
def test_two_steps_by_hand(conv):
    mean, var = running_stats(conv, BATCHES, EPS)
    np.testing.assert_allclose(mean, BY_HAND[conv][0], rtol=1e-13)
    np.testing.assert_allclose(var, BY_HAND[conv][1], rtol=1e-13)


def test_eval_outputs_by_hand():
    # (x - running_mean) / sqrt(running_var + eps) * gamma + beta; the seed's var holds eps already
    want = {PYTORCH: [(3 - 0.58) / np.sqrt(1.79 + EPS) * 2 + 1, (2 - 0.68) / np.sqrt(1.53 + EPS)],
            KERAS: [(3 - 0.0598) / np.sqrt(1.03 + EPS) * 2 + 1,
                    (2 - 0.0698) / np.sqrt(1.0197 + EPS)],
            CS231N: [(3 - 0.58) / np.sqrt(0.49 + EPS) * 2 + 1, (2 - 0.68) / np.sqrt(0.36 + EPS)],
            EPS_FOLDED: [(3 - 0.58) / np.sqrt(0.49 + 0.19 * EPS) * 2 + 1,
                   (2 - 0.68) / np.sqrt(0.36 + 0.19 * EPS)]}
    for conv, y in want.items():
        out = eval_output(conv, X_EVAL, *BY_HAND[conv], GAMMA, BETA, EPS)
        np.testing.assert_allclose(out[0], y, rtol=1e-13)


def test_mapping_onto_ours_by_hand():
    # cs231n and seed: strip the folded eps (0.19*eps = eps*(1 - 0.9**2)), then
    #   0.9**2 * 1 + (n/(n-1)) * 0.49 = 0.81 + 0.98 = 1.79 ; 0.81 + 2 * 0.36 = 1.53  (= PyTorch)
    # Keras maps onto our momentum 0.01: 0.99**2 + 2 * (1.03 - 0.99**2) = 0.9801 + 0.0998 = 1.0799
    #   (check: 0.99*1 + 0.01*2 = 1.01 -> 0.99*1.01 + 0.01*8 = 1.0799)
    for conv in (PYTORCH, CS231N, EPS_FOLDED):
        np.testing.assert_allclose(to_ours(conv, BY_HAND[conv][1], 2, 2, EPS), [1.79, 1.53],
                                   rtol=1e-13)
    np.testing.assert_allclose(to_ours(KERAS, BY_HAND[KERAS][1], 2, 2, EPS)[0], 1.0799, rtol=1e-13)
    assert [c.new_weight for c in CONVENTIONS] == pytest.approx([0.1, 0.01, 0.1, 0.1], rel=1e-12)


def test_table_shows_every_convention_and_the_hand_figures():
    table = compare_conventions(BATCHES, X_EVAL, GAMMA, BETA, EPS)
    rows = table.splitlines()[2:]
    assert [r.split("  ")[0] for r in rows] == [c.name for c in CONVENTIONS]
    for row, figure in zip(rows, ("1.79", "0.0598", "0.49", "0.58")):
        assert figure in row


def test_unbiased_needs_two_values():
    with pytest.raises(ValueError, match=r"n >= 2.*\(1, 2\)"):
        running_stats(PYTORCH, [np.ones((1, 2))], EPS)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
def test_pytorch_convention_and_keras_mapping_match_torch(torch, shape):
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal(shape) * 2 + 1 for _ in range(3)]
    bn_cls = torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d
    for conv, momentum in ((PYTORCH, 0.1), (KERAS, 1 - KERAS.momentum)):
        bn = bn_cls(3, eps=EPS, momentum=momentum).double()
        for b in batches:
            bn(torch.tensor(b))
        mean, var = running_stats(conv, batches, EPS)
        n = batches[0].size // 3
        np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), to_ours(conv, var, 3, n, EPS),
                                   rtol=1e-12)
    bn.eval()        # PyTorch's eval output from its own buffers == ours under its convention
    x = batches[0]
    want = eval_output(PYTORCH, x, bn.running_mean.numpy(), bn.running_var.numpy(),
                       bn.weight.detach().numpy(), bn.bias.detach().numpy(), EPS)
    np.testing.assert_allclose(bn(torch.tensor(x)).detach().numpy(), want, rtol=1e-12)
