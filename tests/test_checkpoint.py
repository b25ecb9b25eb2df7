"""Checkpoints: exact round trips, and clear errors that leave the model unchanged."""
import os

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.checkpoint import FORMAT, FORMAT_KEY, CheckpointError


class Tiny(nn.Module):
    """A Linear-then-BN shaped model: parameters plus BN's three buffers, nested one level."""

    def __init__(self, d_in=3, d_out=4, seed=0):
        rng = np.random.default_rng(seed)
        self.weight = nn.Parameter(rng.standard_normal((d_out, d_in)))
        self.bias = nn.Parameter(rng.standard_normal(d_out))
        self.bn = nn.Module()
        self.bn.weight = nn.Parameter(rng.standard_normal(d_out))
        self.bn.register_buffer("running_mean", rng.standard_normal(d_out))
        self.bn.register_buffer("running_var", rng.uniform(0.5, 2.0, d_out))
        self.bn.register_buffer("num_batches_tracked", np.array(int(rng.integers(1, 100))))


def _assert_same_state(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_round_trip_is_exact(tmp_path):
    src, dst = Tiny(seed=1), Tiny(seed=2)
    path = tmp_path / "model.npz"
    tg.save(src, path)
    assert tg.load(dst, path) is dst
    _assert_same_state(src.state_dict(), dst.state_dict())
    assert dst.bn.num_batches_tracked == src.bn.num_batches_tracked


def test_file_has_no_pickle_and_a_format_marker(tmp_path):
    path = tmp_path / "model.npz"
    tg.save(Tiny(), path)
    with np.load(path, allow_pickle=False) as npz:
        assert str(npz[FORMAT_KEY]) == FORMAT
        assert set(npz.files) == {FORMAT_KEY, *Tiny().state_dict()}


def test_save_replaces_atomically_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.npz"
    tg.save(Tiny(seed=1), path)
    tg.save(Tiny(seed=2), path)                      # overwrite in place
    assert os.listdir(tmp_path) == ["model.npz"]
    _assert_same_state(tg.load(Tiny(seed=3), path).state_dict(), Tiny(seed=2).state_dict())


def test_failed_save_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    tg.save(Tiny(seed=1), path)
    good = path.read_bytes()

    def crash(f, **arrays):
        f.write(b"half a file")
        raise KeyboardInterrupt("power cut")
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        tg.save(Tiny(seed=2), path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["model.npz"]


def _expect_error_unchanged(path, model, match):
    before = model.state_dict()
    with pytest.raises(CheckpointError, match=match) as info:
        tg.load(model, path)
    _assert_same_state(before, model.state_dict())
    return str(info.value)


def test_mismatched_model_lists_every_difference(tmp_path):
    path = tmp_path / "model.npz"
    tg.save(Tiny(d_in=3), path)
    other = Tiny(d_in=5)
    other.extra = nn.Parameter(np.zeros(2))
    del other.bn.weight
    msg = _expect_error_unchanged(path, other, "wrong shape")
    assert "missing keys ['extra']" in msg and "unexpected keys ['bn.weight']" in msg
    assert "weight float64[4, 3] != expected float64[4, 5]" in msg and str(path) in msg


def test_wrong_dtype_is_listed(tmp_path):
    path = tmp_path / "model.npz"
    src = Tiny()
    src.bias.data = src.bias.data.astype(np.float32)
    tg.save(src, path)
    _expect_error_unchanged(path, Tiny(), r"bias float32\[4\] != expected float64\[4\]")


def test_truncated_file(tmp_path):
    path = tmp_path / "model.npz"
    tg.save(Tiny(seed=1), path)
    path.write_bytes(path.read_bytes()[:-100])
    _expect_error_unchanged(path, Tiny(seed=2), "truncated or corrupt.*Fix")


def test_garbage_bytes(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    _expect_error_unchanged(path, Tiny(), "truncated or corrupt")


def test_wrong_magic(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, **Tiny().state_dict())           # a plain .npz without the marker
    _expect_error_unchanged(path, Tiny(seed=5), "not a tinygrad_bn checkpoint")
    np.savez(path, **{FORMAT_KEY: np.array("something/else")}, **Tiny().state_dict())
    _expect_error_unchanged(path, Tiny(seed=5), "not a tinygrad_bn checkpoint")


def test_single_npy_array(tmp_path):
    path = tmp_path / "model.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    _expect_error_unchanged(path, Tiny(), "single .npy array")


def test_missing_file_stays_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(Tiny(), tmp_path / "nope.npz")


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "model.npz"
    tg.save(Tiny(seed=1), path)
    return path.read_bytes()


@given(data=st.data())
def test_random_damage_raises_checkpoint_error_or_loads_exactly(good_bytes, tmp_path_factory, data):
    """Truncations, flipped bytes and random bytes: either CheckpointError, or the exact model."""
    kind = data.draw(st.sampled_from(["truncate", "flip", "random"]))
    if kind == "truncate":
        raw = good_bytes[:data.draw(st.integers(0, len(good_bytes) - 1))]
    elif kind == "flip":
        i = data.draw(st.integers(0, len(good_bytes) - 1))
        raw = good_bytes[:i] + bytes([good_bytes[i] ^ data.draw(st.integers(1, 255))]) + good_bytes[i + 1:]
    else:
        raw = data.draw(st.binary(max_size=600))
    path = tmp_path_factory.mktemp("damaged") / "model.npz"
    path.write_bytes(raw)
    model = Tiny(seed=2)
    before = model.state_dict()
    try:
        tg.load(model, path)
    except CheckpointError:
        _assert_same_state(before, model.state_dict())
    else:                       # a flip in a zip field nobody reads (e.g. a timestamp) is harmless
        _assert_same_state(Tiny(seed=1).state_dict(), model.state_dict())
