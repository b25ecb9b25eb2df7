"""Checkpoints in safetensors: exact round trips, PyTorch reads ours and we read PyTorch's, and
every bad file (another model, damaged, hostile header, another format) is refused with the model
left unchanged."""
import json
import os
import pickle

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given, strategies as st

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn
from tinygrad_bn.checkpoint import CheckpointError, MAX_HEADER_BYTES


def mlp(seed=0, hidden=4):
    """Linear -> BN -> ReLU -> Linear, with BN statistics moved by one training batch."""
    nn.init.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                          nn.Linear(hidden, 2))
    model(Tensor(np.random.default_rng(seed).standard_normal((6, 3))))
    return model


def torch_mlp(torch, hidden=4):
    """The same architecture in PyTorch, float64."""
    tnn = torch.nn
    return tnn.Sequential(tnn.Linear(3, hidden), tnn.BatchNorm1d(hidden), tnn.ReLU(),
                          tnn.Linear(hidden, 2)).double()


def cnn(seed=0):
    """Conv2d -> BN2d -> ReLU -> MaxPool2d -> Flatten -> Linear."""
    nn.init.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 2 * 2, 2))


def torch_cnn(torch):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(2, 3, 3, padding=1), tnn.BatchNorm2d(3), tnn.ReLU(),
                          tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(3 * 2 * 2, 2)).double()


def _assert_same_state(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def _expect_error_unchanged(path, model, match):
    before = model.state_dict()
    with pytest.raises(CheckpointError, match=match) as info:
        tg.load(model, path)
    _assert_same_state(before, model.state_dict())
    return str(info.value)


# --- round trips -----------------------------------------------------------------------------
def test_round_trip_is_exact(tmp_path):
    src, dst = mlp(seed=1), mlp(seed=2)
    path = tmp_path / "model.safetensors"
    tg.save(src, path)
    assert tg.load(dst, path) is dst
    _assert_same_state(src.state_dict(), dst.state_dict())
    assert int(dst[1].num_batches_tracked) == 1


def test_file_is_plain_safetensors_without_pickle(tmp_path):
    path = tmp_path / "model.safetensors"
    model = mlp()
    tg.save(model, path)
    arrays = safetensors.numpy.load_file(str(path))
    _assert_same_state(dict(sorted(model.state_dict().items())), dict(sorted(arrays.items())))
    assert b"pickle" not in path.read_bytes() and path.read_bytes()[8:9] == b"{"


@pytest.mark.parametrize("ours, theirs, shape", [(mlp, torch_mlp, (5, 3)),
                                                 (cnn, torch_cnn, (4, 2, 4, 4))])
def test_torch_loads_our_file_strictly_and_gives_our_outputs(ours, theirs, shape, torch,
                                                             tmp_path):
    import safetensors.torch
    model, path = ours(seed=3), tmp_path / "model.safetensors"
    model(Tensor(np.random.default_rng(1).standard_normal(shape)))   # a train step moves BN
    tg.save(model, path)
    state = safetensors.torch.load_file(str(path))
    assert state[f"{1}.num_batches_tracked"].dtype == torch.int64
    tmodel = theirs(torch)
    tmodel.load_state_dict(state, strict=True)
    x = np.random.default_rng(2).standard_normal(shape)
    for mode in ("train", "eval"):
        getattr(model, mode)(), getattr(tmodel, mode)()
        np.testing.assert_allclose(tmodel(torch.from_numpy(x)).detach().numpy(),
                                   model(Tensor(x)).data, rtol=1e-9, atol=1e-12, err_msg=mode)
    for k, v in tmodel.state_dict().items():     # running stats after the train-mode forward
        np.testing.assert_allclose(v.numpy(), model.state_dict()[k], rtol=1e-12, err_msg=k)


@pytest.mark.parametrize("ours, theirs, shape", [(mlp, torch_mlp, (5, 3)),
                                                 (cnn, torch_cnn, (4, 2, 4, 4))])
def test_we_load_torch_files_and_give_torch_outputs(ours, theirs, shape, torch, tmp_path):
    import safetensors.torch
    torch.manual_seed(0)
    tmodel, path = theirs(torch), tmp_path / "torch.safetensors"
    tmodel(torch.randn(*shape, dtype=torch.float64))                  # moves BN statistics
    safetensors.torch.save_file(tmodel.state_dict(), str(path))
    model = tg.load(ours(seed=9), path)
    _assert_same_state(model.state_dict(), {k: v.numpy() for k, v in tmodel.state_dict().items()})
    x = np.random.default_rng(2).standard_normal(shape)
    for mode in ("train", "eval"):
        getattr(model, mode)(), getattr(tmodel, mode)()
        np.testing.assert_allclose(model(Tensor(x)).data,
                                   tmodel(torch.from_numpy(x)).detach().numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=mode)


def test_torch_file_without_num_batches_tracked_loads_and_keeps_ours(torch, tmp_path):
    """Older PyTorch wrote BN without num_batches_tracked; torch's load_state_dict accepts it."""
    import safetensors.torch
    state = {k: v for k, v in torch_mlp(torch).state_dict().items() if "num_batches" not in k}
    safetensors.torch.save_file(state, str(tmp_path / "old.safetensors"))
    model = tg.load(mlp(), tmp_path / "old.safetensors")
    assert int(model[1].num_batches_tracked) == 1
    np.testing.assert_array_equal(model[0].weight.data, state["0.weight"].numpy())


def test_float32_torch_file_widens_exactly_into_a_float64_model(torch, tmp_path):
    import safetensors.torch
    tmodel, path = torch_mlp(torch).float(), tmp_path / "f32.safetensors"
    safetensors.torch.save_file(tmodel.state_dict(), str(path))
    model = tg.load(mlp(), path)
    for k, v in tmodel.state_dict().items():
        assert model.state_dict()[k].dtype == (np.int64 if "num_batches" in k else np.float64)
        np.testing.assert_array_equal(model.state_dict()[k], v.numpy().astype(np.float64))


def test_narrowing_dtype_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    tg.save(mlp(), path)
    small = mlp()
    for p in small.parameters():
        p.data = p.data.astype(np.float32)
    msg = _expect_error_unchanged(path, small, "would not convert exactly")
    assert "0.weight float64 -> float32" in msg


# --- another model ---------------------------------------------------------------------------
def test_other_architecture_names_the_keys_that_differ(tmp_path):
    path = tmp_path / "model.safetensors"
    tg.save(mlp(), path)
    msg = _expect_error_unchanged(path, mlp(hidden=5), "wrong shapes")
    assert "0.weight (4, 3) != expected (5, 3)" in msg and str(path) in msg
    msg = _expect_error_unchanged(path, nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 2)),
                                  "missing keys")
    assert "missing keys ['0.running_mean'" in msg and "'3.weight']" in msg
    assert "0.weight (4, 3) != expected (3,)" in msg
    assert "Nothing was loaded" in msg and "same architecture" in msg


# --- writing ---------------------------------------------------------------------------------
def test_save_replaces_atomically_with_usual_permissions(tmp_path):
    path = tmp_path / "model.safetensors"
    tg.save(mlp(seed=1), path)
    tg.save(mlp(seed=2), path)                      # overwrite in place
    assert os.listdir(tmp_path) == ["model.safetensors"]
    _assert_same_state(tg.load(mlp(seed=3), path).state_dict(), mlp(seed=2).state_dict())
    (tmp_path / "plain").write_bytes(b"")           # what open() gives under this umask
    assert os.stat(path).st_mode == os.stat(tmp_path / "plain").st_mode


def test_failed_save_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    tg.save(mlp(seed=1), path)
    good = path.read_bytes()

    def power_cut(fd):
        raise KeyboardInterrupt("power cut")
    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(KeyboardInterrupt):
        tg.save(mlp(seed=2), path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["model.safetensors"]


# --- damaged and hostile files ---------------------------------------------------------------
def _write(path, header, data=b"", length=None):
    """A safetensors-shaped file from a header (dict or bytes), with a chosen declared length."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes((len(raw) if length is None else length).to_bytes(8, "little") + raw + data)
    return path


def _entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def test_eight_terabyte_header_is_refused_before_reading(tmp_path):
    path = _write(tmp_path / "m.safetensors", {}, length=8 * 2 ** 40)
    _expect_error_unchanged(path, mlp(), "declares a 8796093022208-byte header but the file "
                                         "has 10 bytes")


def test_header_over_the_limit_is_refused_even_in_a_big_file(tmp_path):
    path = tmp_path / "m.safetensors"
    with open(path, "wb") as f:                      # sparse: costs no disk
        f.write((MAX_HEADER_BYTES + 1).to_bytes(8, "little") + b"{")
        f.truncate(MAX_HEADER_BYTES + 100)
    _expect_error_unchanged(path, mlp(), f"at most {MAX_HEADER_BYTES}")


@pytest.mark.parametrize("header, data, match", [
    ({"a": _entry("F64", [2], 0, 16), "b": _entry("F64", [2], 8, 24)}, bytes(24), "overlapping"),
    ({"a": _entry("F64", [1], 0, 8), "b": _entry("F64", [1], 16, 24)}, bytes(24), "a hole"),
    ({"a": _entry("F32", [4], 0, 32)}, bytes(32), r"F32\[4\] \(16 bytes\).* span 32 bytes"),
    ({"a": _entry("F8_E4M3", [8], 0, 8)}, bytes(8), "dtype 'F8_E4M3', which NumPy cannot hold"),
    ({"a": _entry("F64", [2 ** 40, 2 ** 40], 0, 8)}, bytes(8), "span 8 bytes"),
    ({"a": _entry("U8", [2 ** 40], 0, 2 ** 40)}, bytes(8), "cover 1099511627776 bytes of data "
                                                           "but the file holds 8"),
    ({"a": _entry("F64", [True], 0, 8)}, bytes(8), "expected a list of counts"),
    ({"a": _entry("F64", [1], 8, 0)}, bytes(8), "begin <= end"),
    ({"a": {"dtype": "F64", "shape": [1]}}, bytes(8), "exactly dtype, shape and data_offsets"),
    ({"__metadata__": {"k": 1}}, b"", "strings to strings"),
    (b'{"a": {}, "a": {}}', b"", r"names given twice: \['a'\]"),
    (b'{"a": ', b"", "JSONDecodeError"),
    (b"{" + b"[" * 100000, b"", "corrupt safetensors header"),
    (b"\xff\xfe", b"", "does not start with"),
])
def test_hostile_headers_are_refused(tmp_path, header, data, match):
    _expect_error_unchanged(_write(tmp_path / "m.safetensors", header, data), mlp(), match)


def test_truncated_file(tmp_path):
    path = tmp_path / "model.safetensors"
    tg.save(mlp(seed=1), path)
    path.write_bytes(path.read_bytes()[:-100])
    _expect_error_unchanged(path, mlp(seed=2), "cover .* bytes of data but the file holds")


def test_damaged_data_is_caught_by_the_checksum(tmp_path):
    path = tmp_path / "model.safetensors"
    tg.save(mlp(seed=1), path)
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0x40
    path.write_bytes(bytes(raw))
    _expect_error_unchanged(path, mlp(seed=2), "does not match the checksum")


@pytest.mark.parametrize("make, match", [
    (lambda p: p.write_bytes(np.random.default_rng(0).bytes(500)), "not safetensors"),
    (lambda p: p.write_bytes(b""), "0 bytes, too short"),
    (lambda p: p.write_bytes(pickle.dumps(mlp().state_dict())), "is a pickle"),
    (lambda p: np.save(p.open("wb"), np.zeros(3)), "single .npy array"),
])
def test_other_formats_are_refused_by_name(tmp_path, make, match):
    path = tmp_path / "model.safetensors"
    make(path)
    _expect_error_unchanged(path, mlp(), match)


def test_old_npz_checkpoint_is_refused_with_a_recipe_that_works(tmp_path):
    old, new = tmp_path / "model.npz", tmp_path / "model.safetensors"
    np.savez(old, __format__=np.array("tinygrad_bn.checkpoint/1"), **mlp(seed=1).state_dict())
    msg = _expect_error_unchanged(old, mlp(seed=2), "older tinygrad_bn")
    assert "np.load(path).items() if k != '__format__'" in msg
    model, path = mlp(seed=2), old                  # the recipe, as the message gives it
    model.load_state_dict({k: v for k, v in np.load(path).items() if k != '__format__'})
    tg.save(model, new)
    _assert_same_state(tg.load(mlp(seed=3), new).state_dict(), mlp(seed=1).state_dict())


def test_torch_save_file_is_refused_as_a_zip(torch, tmp_path):
    path = tmp_path / "model.pt"
    torch.save(torch_mlp(torch).state_dict(), path)
    _expect_error_unchanged(path, mlp(), "zip archive .torch.save")


def test_directory_is_refused_naming_the_file_to_pass(tmp_path):
    msg = _expect_error_unchanged(tmp_path, mlp(), "is a directory")
    assert "model.safetensors" in msg


def test_missing_file_stays_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(mlp(), tmp_path / "nope.safetensors")


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "model.safetensors"
    tg.save(mlp(seed=1), path)
    return path.read_bytes()


@given(data=st.data())
def test_random_damage_raises_checkpoint_error_or_loads_exactly(good_bytes, tmp_path_factory, data):
    """Truncations, flipped bytes and random bytes: either CheckpointError, or the exact model."""
    kind = data.draw(st.sampled_from(["truncate", "flip", "random"]))
    if kind == "truncate":
        raw = good_bytes[:data.draw(st.integers(0, len(good_bytes) - 1))]
    elif kind == "flip":
        i = data.draw(st.integers(0, len(good_bytes) - 1))
        flipped = good_bytes[i] ^ data.draw(st.integers(1, 255))
        raw = good_bytes[:i] + bytes([flipped]) + good_bytes[i + 1:]
    else:
        raw = data.draw(st.binary(max_size=600))
    path = tmp_path_factory.mktemp("damaged") / "model.safetensors"
    path.write_bytes(raw)
    model = mlp(seed=2)
    before = model.state_dict()
    try:
        tg.load(model, path)
    except CheckpointError:
        _assert_same_state(before, model.state_dict())
    else:                       # e.g. a flip in JSON whitespace is harmless
        _assert_same_state(mlp(seed=1).state_dict(), model.state_dict())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_bfloat16_file_from_torch_loads_exactly_widened(torch, tmp_path, dtype):
    """torch's model.bfloat16() saved with safetensors: NumPy has no bfloat16, so the values
    load widened (bf16 is the top half of a float32), equal to torch's own .float()."""
    safetensors_torch = pytest.importorskip("safetensors.torch")
    exact = torch_mlp(torch).state_dict()
    state = {k: v.bfloat16() if v.is_floating_point() else v for k, v in exact.items()}
    safetensors_torch.save_file(state, tmp_path / "bf16.safetensors")
    model = mlp()
    if dtype == np.float32:
        model.float()
    tg.load(model, tmp_path / "bf16.safetensors")
    ours = model.state_dict()
    for k, v in state.items():
        want = v.float().numpy() if v.is_floating_point() else v.numpy()
        assert ours[k].dtype == (dtype if v.is_floating_point() else np.int64), k
        np.testing.assert_array_equal(ours[k], want, err_msg=k)
        np.testing.assert_allclose(ours[k], exact[k].numpy(), rtol=2 ** -8, err_msg=k)
    assert any(np.any(ours[k] != exact[k].numpy()) for k in ours if ours[k].dtype.kind == "f")
