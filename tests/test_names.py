"""Names in every teaching view say which layer call made a tensor (`bn1.xmu`, `fc.weight`), for
a model called as a whole and for layers called directly; check_by_hand refuses an ambiguous
short name; slides number repeated symbols (μ₁, μ₂)."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import functional as F, nn
from tinygrad_bn.teach.names import named_graph


class Net(nn.Module):
    def __init__(self):
        self.fc, self.bn1, self.head = nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.bn1(self.fc(x)).relu())


def _labels(loss):
    g = named_graph(loss)
    return [g.label(t) for t in g.tensors]


def _direct():
    """makemore style: layers in a list, called one by one, no parent module."""
    tg.manual_seed(0)
    layers = [nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 4), nn.BatchNorm1d(4)]
    h = tg.randn(6, 3)
    for layer in layers:
        h = layer(h)
    return h.square().mean()


def test_a_model_names_results_by_the_attribute_of_their_layer():
    tg.manual_seed(0)
    labels = _labels(F.cross_entropy(Net()(tg.randn(6, 3)), [0, 1, 0, 1, 1, 0]))
    assert {"fc.weight", "bn1.xmu", "bn1.xhat", "bn1.weight", "bn1.out", "head.bias"} <= set(labels)
    assert not {"out", "xmu", "weight", "gamma"} & set(labels)      # nothing unqualified leaks


def test_layers_called_directly_get_class_and_counter():
    labels = _labels(_direct())
    assert {"linear_1.weight", "linear_2.weight", "batchnorm1d_1.xmu", "batchnorm1d_2.xmu",
            "batchnorm1d_2.out"} <= set(labels)
    named = [label for label in labels if label != "eps"]      # each BN's eps constant
    assert len(named) == len(set(named))


def test_a_layer_called_twice_numbers_its_calls():
    tg.manual_seed(0)
    bn = nn.BatchNorm1d(4)
    x = tg.randn(6, 4, requires_grad=True)
    labels = _labels(bn(bn(x)).sum())
    assert "batchnorm1d_1.xmu" in labels and "batchnorm1d_1#2.xmu" in labels


def test_check_by_hand_refuses_an_ambiguous_name_and_lists_the_candidates():
    loss = _direct()
    with pytest.raises(KeyError, match=r"'weight' is ambiguous.*linear_1\.weight, batchnorm1d_1"):
        tg.check_by_hand(loss, {"weight": np.zeros((4, 3))})
    with pytest.raises(KeyError, match=r"'xmu' is ambiguous.*batchnorm1d_1\.xmu, batchnorm1d_2\.xmu"):
        tg.check_by_hand(loss, {"xmu": np.zeros((6, 4))})
    g = named_graph(loss)
    w = g.find("linear_2.weight", g.tensors)
    loss.backward(retain_graph=True)
    report = tg.check_by_hand(loss, {"linear_2.weight": w.grad})
    assert report.ok and report.rows[0].name == "linear_2.weight"


def test_a_short_name_works_when_only_one_tensor_has_it():
    tg.manual_seed(0)
    loss = F.cross_entropy(Net()(tg.randn(6, 3)), [0, 1, 0, 1, 1, 0])
    loss.backward(retain_graph=True)
    g = named_graph(loss)
    xhat = g.find("bn1.xhat", g.tensors)
    report = tg.check_by_hand(loss, {"xhat": xhat.grad})
    assert report.ok and report.rows[0].name == "bn1.xhat"


def test_slides_number_the_symbols_of_two_bn_layers():
    loss = _direct()
    g = named_graph(loss)
    symbols = {g.label(t): g.symbol(t) for t in g.tensors}
    assert (symbols["batchnorm1d_1.mu"], symbols["batchnorm1d_2.mu"]) == ("μ₁", "μ₂")
    assert symbols["batchnorm1d_2.sq"] == "(x−μ₂)²" and symbols["batchnorm1d_1.var_eps"] == "σ₁²+ε"
    assert symbols["batchnorm1d_2.xhat"] == "x̂₂" and symbols["linear_1.weight"] == "linear_1.weight"
    loss.backward(retain_graph=True)
    source = tg.viz.to_dot(loss, show_values=True, show_grads=True, style="slide").source
    assert "μ₁" in source and "μ₂" in source


def test_one_bn_keeps_plain_symbols():
    g = named_graph(F.batch_norm(tg.randn(4, 2, requires_grad=True), None, None).sum())
    assert sorted(g.symbol(t) for t in g.tensors if g.label(t) in ("mu", "xhat")) == ["x̂", "μ"]
