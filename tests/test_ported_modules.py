"""Ported from PyTorch's own Module tests (test_nn.py): the same calls on both libraries, the
same names, orders and results. Each case builds one tree with `lib.nn` for lib = tinygrad_bn and
torch, so a difference is in the library, not in the test."""
import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import Tensor, nn


def build(lib_nn):
    """A tree with a shared module, a tied parameter, a BN and nesting (test_nn's shapes)."""
    class Net(lib_nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib_nn.Linear(2, 3)
            self.bn = lib_nn.BatchNorm1d(3)
            self.block = lib_nn.Sequential(lib_nn.Linear(3, 3), lib_nn.ReLU(), self.fc)
            self.other = lib_nn.Linear(3, 3)
            self.other.weight = self.block[0].weight              # tied
    return Net()


def names(pairs):
    return [k for k, _ in pairs]


def both(torch):
    return build(nn), build(torch.nn).double()


def test_named_parameters_prefix_recurse_and_duplicates_as_torch(torch):
    ours, theirs = both(torch)
    for kwargs in ({}, {"prefix": "root"}, {"recurse": False}, {"remove_duplicate": False}):
        assert names(ours.named_parameters(**kwargs)) == names(theirs.named_parameters(**kwargs)), \
            kwargs
    assert len(list(ours.block.parameters(recurse=False))) == 0
    assert len(list(ours.fc.parameters(recurse=False))) == 2


def test_named_buffers_prefix_recurse_as_torch(torch):
    ours, theirs = both(torch)
    for kwargs in ({}, {"prefix": "p"}, {"recurse": False}):
        assert names(ours.named_buffers(**kwargs)) == names(theirs.named_buffers(**kwargs)), kwargs
    assert len(list(ours.bn.buffers(recurse=False))) == len(list(theirs.bn.buffers(recurse=False)))


def test_named_modules_memo_prefix_and_duplicates_as_torch(torch):
    ours, theirs = both(torch)
    for kwargs in ({}, {"prefix": "m"}, {"remove_duplicate": False}):
        assert names(ours.named_modules(**kwargs)) == names(theirs.named_modules(**kwargs)), kwargs
    ours_memo, theirs_memo = {ours.block}, {theirs.block}
    assert names(ours.named_modules(memo=ours_memo)) == names(theirs.named_modules(memo=theirs_memo))
    assert ours.fc in ours_memo                    # memo collects what was listed, as torch
    assert names(ours.named_children()) == names(theirs.named_children())


def test_register_parameter_and_delattr_as_torch(torch):
    for lib_nn, P in ((nn, lambda: nn.Parameter(np.ones(2))),
                      (torch.nn, lambda: torch.nn.Parameter(torch.ones(2, dtype=torch.float64)))):
        m = lib_nn.Linear(2, 2)
        m.register_parameter("extra", P())
        m.register_parameter("absent", None)
        assert names(m.named_parameters()) == ["weight", "bias", "extra"]
        assert m.absent is None and "absent" not in m.state_dict()
        del m.extra
        assert names(m.named_parameters()) == ["weight", "bias"] and "extra" not in m.state_dict()
        with pytest.raises(TypeError):
            m.register_parameter("bad", np.ones(2) if lib_nn is nn else torch.ones(2))


def test_non_persistent_buffers_stay_out_of_state_dict_as_torch(torch):
    results = []
    for lib_nn, arr in ((nn, np.ones(3)), (torch.nn, torch.ones(3))):
        m = lib_nn.BatchNorm1d(3)
        m.register_buffer("cache", arr, persistent=False)
        m.register_buffer("kept", arr * 2)
        results.append((names(m.named_buffers()), list(m.state_dict())))
        m.load_state_dict(m.state_dict())           # strict: the cache is not expected
        del m.kept
        results.append((names(m.named_buffers()), list(m.state_dict())))
    assert results[:2] == results[2:]
    assert "cache" in results[0][0] and "cache" not in results[0][1]


def test_get_submodule_parameter_buffer_as_torch(torch):
    ours, theirs = both(torch)
    assert type(ours.get_submodule("block.0")).__name__ == type(theirs.get_submodule("block.0")).__name__
    assert ours.get_submodule("") is ours
    assert ours.get_parameter("block.0.weight") is ours.block[0].weight
    np.testing.assert_array_equal(ours.get_buffer("bn.running_var"),
                                  theirs.get_buffer("bn.running_var").numpy())
    for get, target in (("get_submodule", "block.7"), ("get_parameter", "fc.nope"),
                        ("get_buffer", "fc.weight")):
        for m in (ours, theirs):
            with pytest.raises(AttributeError):
                getattr(m, get)(target)


def test_state_dict_prefix_and_keep_vars_as_torch(torch):
    ours, theirs = both(torch)
    assert list(ours.state_dict(prefix="net.")) == list(theirs.state_dict(prefix="net."))
    assert ours.state_dict(keep_vars=True)["fc.weight"] is ours.fc.weight
    assert ours.state_dict()["fc.weight"] is not ours.fc.weight.data       # a copy by default


def test_forward_hooks_see_and_replace_inputs_and_outputs_as_torch(torch):
    x = np.random.default_rng(0).standard_normal((4, 2))
    runs = []
    for lib_nn, wrap, un in ((nn, Tensor, lambda t: t.data),
                             (torch.nn, torch.tensor, lambda t: t.detach().numpy())):
        tg.manual_seed(0)
        m = lib_nn.Sequential(lib_nn.Linear(2, 3), lib_nn.ReLU(), lib_nn.Linear(3, 1)).double()
        with torch.no_grad():
            for p in m.parameters():
                p.data[...] = np.linspace(-1, 1, p.data.size).reshape(p.shape) \
                    if lib_nn is nn else torch.linspace(-1, 1, p.numel(), dtype=torch.float64).reshape(p.shape)
        seen = []
        h1 = m[0].register_forward_hook(lambda mod, args, out: seen.append(un(out).copy()))
        h2 = m[1].register_forward_pre_hook(lambda mod, args: args[0] * 2)
        h3 = m[2].register_forward_hook(lambda mod, args, out: out + 1)
        first = un(m(wrap(x)))
        for h in (h1, h2, h3):
            h.remove()
        runs.append((first, seen[0], un(m(wrap(x))), len(seen)))
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert not np.allclose(runs[0][0], runs[0][2])   # the hooks did change the output


def test_containers_pop_add_and_clear_as_torch(torch):
    for lib_nn in (nn, torch.nn):
        s = lib_nn.Sequential(lib_nn.ReLU(), lib_nn.Tanh(), lib_nn.Sigmoid())
        assert type(s.pop(1)).__name__ == "Tanh" and names(s.named_children()) == ["0", "1"]
        both_seq = s + lib_nn.Sequential(lib_nn.ReLU())
        assert type(both_seq) is lib_nn.Sequential and len(both_seq) == 3 and len(s) == 2
        ml = lib_nn.ModuleList([lib_nn.ReLU(), lib_nn.Tanh()])
        assert type(ml + ml) is lib_nn.ModuleList and len(ml + ml) == 4
        assert type(ml.pop(-1)).__name__ == "Tanh" and len(ml) == 1
        md = lib_nn.ModuleDict({"a": lib_nn.ReLU()})
        md.clear()
        assert len(md) == 0 and "a" not in md
        assert type(s[0:1]) is lib_nn.Sequential


def test_layer_defaults_and_state_keys_as_torch(torch):
    for make in (lambda n: n.Linear(2, 3, bias=False),
                 lambda n: n.Conv2d(4, 6, 3, groups=2, bias=False),
                 lambda n: n.BatchNorm2d(3, affine=False),
                 lambda n: n.BatchNorm1d(3, track_running_stats=False),
                 lambda n: n.LayerNorm((2, 3), elementwise_affine=False),
                 lambda n: n.Embedding(5, 2, padding_idx=-1)):
        ours, theirs = make(nn), make(torch.nn)
        assert {k: v.shape for k, v in ours.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in theirs.state_dict().items()}, repr(ours)
        assert type(ours).__name__ in repr(ours)


# --- data loading, ported from test_dataloader.py's basics -------------------------------------
X, Y = np.arange(20.0).reshape(10, 2), np.arange(10)


@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (5, False), (1, False),
                                                   (11, False), (11, True)])
def test_dataloader_len_batches_and_partial_tail_as_torch(torch, batch_size, drop_last):
    from torch.utils import data as tdata
    ours = tg.data.DataLoader(tg.data.TensorDataset(Tensor(X), Tensor(Y)),
                              batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(X), torch.tensor(Y)),
                              batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    for _ in range(2):                                       # a second pass gives the same
        got, want = list(ours), list(theirs)
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert isinstance(a, list) and len(a) == len(b) == 2
            for ta, tb in zip(a, b):
                assert ta.dtype == tb.numpy().dtype
                np.testing.assert_array_equal(ta.data, tb.numpy())


def test_dataloader_shuffles_every_pass_covering_each_sample_once():
    loader = tg.data.DataLoader(tg.data.TensorDataset(X, Y), batch_size=4, shuffle=True,
                                generator=np.random.default_rng(0))
    passes = [np.concatenate([yb.data for _, yb in loader]) for _ in range(2)]
    assert all(sorted(p.tolist()) == list(range(10)) for p in passes)
    assert not np.array_equal(*passes)
    tg.manual_seed(3)
    first = [yb.data.tolist() for _, yb in tg.data.DataLoader(tg.data.TensorDataset(X, Y), 4, True)]
    tg.manual_seed(3)
    assert first == [yb.data.tolist() for _, yb in tg.data.DataLoader(tg.data.TensorDataset(X, Y),
                                                                        4, True)]


def test_dataloader_of_a_plain_dataset_and_bad_arguments_as_torch(torch):
    from torch.utils import data as tdata
    assert next(iter(tg.data.DataLoader(range(5), batch_size=2))).data.tolist() == \
        next(iter(tdata.DataLoader(range(5), batch_size=2))).tolist()
    x, y = tg.data.TensorDataset(X, Y)[2]
    assert x.tolist() == [4.0, 5.0] and y == 2
    with pytest.raises(ValueError, match="TensorDataset"):
        tg.data.TensorDataset(X, Y[:3])
    with pytest.raises(ValueError, match="batch_size"):
        tg.data.DataLoader(range(3), batch_size=0)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.5, 0.5]])
def test_random_split_sizes_as_torch_and_disjoint(torch, lengths):
    from torch.utils import data as tdata
    parts = tg.data.random_split(range(10), lengths, generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [len(p) for p in tdata.random_split(range(10), lengths)]
    assert sorted(i for p in parts for i in p) == list(range(10))
    with pytest.raises(ValueError, match="random_split"):
        tg.data.random_split(range(10), [3, 3])


def test_parameter_list_and_dict_names_state_and_loading_as_torch(torch):
    def make(lib_nn, P):
        class Net(lib_nn.Module):
            def __init__(self):
                super().__init__()
                self.plist = lib_nn.ParameterList([P(np.ones(2)), P(np.zeros(3))])
                self.plist.append(P(np.full(1, 5.0)))
                self.pdict = lib_nn.ParameterDict({"b": P(np.ones(2))})
                self.pdict["a"] = P(np.ones((2, 2)))
                self.fc = lib_nn.Linear(2, 2)
        return Net()
    ours = make(nn, nn.Parameter)
    theirs = make(torch.nn, lambda a: torch.nn.Parameter(torch.tensor(a))).double()
    assert names(ours.named_parameters()) == names(theirs.named_parameters())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(ours.plist) == 3 and ours.pdict.keys() == list(theirs.pdict.keys()) == ["b", "a"]
    assert "a" in ours.pdict and ours.plist[-1].data.tolist() == [5.0]
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(1.0)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_array_equal(a, b.numpy(), err_msg=k)
    assert ours.plist[0].requires_grad and ours.plist[0] in ours.parameters()
    plist = nn.ParameterList([Tensor(np.ones(2))])               # a Tensor is wrapped, as torch
    assert isinstance(plist[0], nn.Parameter)
    with pytest.raises(TypeError, match="ParameterList"):
        plist.append("weight")


def test_a_parameter_slot_set_to_none_still_refuses_a_plain_tensor_as_torch(torch):
    for lib_nn, plain in ((nn, lambda: Tensor(np.ones(2))), (torch.nn, lambda: torch.ones(2))):
        m = lib_nn.Module()
        m.register_parameter("w", None)
        with pytest.raises(TypeError):
            m.w = plain()
        fc = lib_nn.Linear(2, 2)
        fc.weight = None
        with pytest.raises(TypeError):
            fc.weight = plain()
        assert [k for k, _ in fc.named_parameters()] == ["bias"]
        del m.w
        m.w = plain()                                # deleted: an ordinary attribute again


@pytest.mark.parametrize("call, error", [
    (lambda m, a: m.add_module(2, type(m)(1, 1)), TypeError),
    (lambda m, a: m.add_module("weight", type(m)(1, 1)), KeyError),
    (lambda m, a: m.register_buffer(3, a), TypeError),
    (lambda m, a: m.register_buffer("a.b", a), KeyError),
    (lambda m, a: m.register_buffer("", a), KeyError),
    (lambda m, a: m.register_buffer("x", 5), TypeError),
    (lambda m, a: m.register_buffer("weight", a), KeyError),
    (lambda m, a: m.register_buffer("in_features", a), KeyError),
    (lambda m, a: m.register_parameter(3, None), TypeError),
    (lambda m, a: m.register_parameter("in_features", None), KeyError),
    (lambda m, a: m.train("True"), ValueError),
])
def test_bad_registrations_raise_as_torch_and_leave_the_module_whole(torch, call, error):
    for lib_nn, arr in ((nn, np.ones(1)), (torch.nn, torch.ones(1, dtype=torch.float64))):
        m = lib_nn.Linear(1, 1).double()
        before = list(m.state_dict())
        with pytest.raises(error):
            call(m, arr)
        assert list(m.state_dict()) == before and names(m.named_buffers()) == []


def test_sequential_times_and_parameter_list_slices_as_torch(torch):
    for lib_nn in (nn, torch.nn):
        s = lib_nn.Sequential(lib_nn.Linear(1, 1), lib_nn.ReLU())
        for twice in (s * 2, 2 * s):
            assert type(twice) is lib_nn.Sequential and len(twice) == 4 and twice[2] is s[0]
            assert names(twice.named_parameters()) == ["0.weight", "0.bias"]   # shared
        s *= 3
        assert len(s) == 6 and s[4] is s[0]
        plist = lib_nn.ParameterList([lib_nn.Parameter(lib_nn.Linear(1, 1).weight.data)
                                      for _ in range(3)])
        assert type(plist[1:]) is lib_nn.ParameterList and len(plist[1:]) == 2
        assert plist[1:][0] is plist[1]


def test_dataloader_unbatched_and_torch_keywords_as_torch(torch):
    from torch.utils import data as tdata
    ours = tg.data.DataLoader(tg.data.TensorDataset(X, Y), batch_size=None, num_workers=0,
                              pin_memory=False)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(X), torch.tensor(Y)),
                              batch_size=None, num_workers=0, pin_memory=False)
    assert len(ours) == len(theirs) == 10
    for (xa, ya), (xb, yb) in zip(ours, theirs):
        assert np.shape(xa) == tuple(xb.shape) and int(ya) == int(yb)
    with pytest.raises(ValueError, match="random_split"):
        tg.data.random_split(range(3), [4, -1])


def test_next_of_parameters_and_modules_works_as_on_torch_generators(torch):
    ours, theirs = both(torch)
    for get in ("parameters", "named_parameters", "buffers", "named_buffers", "children",
                "named_children", "modules", "named_modules"):
        a, b = getattr(ours, get)(), getattr(theirs, get)()
        first, second = next(a), next(a)
        tfirst, tsecond = next(b), next(b)
        if get.startswith("named"):
            assert (first[0], second[0]) == (tfirst[0], tsecond[0]), get
        elif get in ("parameters", "buffers"):
            assert (tuple(first.shape), tuple(second.shape)) == \
                (tuple(tfirst.shape), tuple(tsecond.shape)), get
        else:
            assert type(first).__name__ == type(tfirst).__name__, get
    assert next(ours.parameters()).dtype == np.float64
    assert len(ours.parameters()) == len(list(theirs.parameters()))     # still a list here


@pytest.mark.parametrize("make", [lambda n, **k: n.Linear(2, 3, **k),
                                  lambda n, **k: n.Conv2d(1, 2, 3, **k),
                                  lambda n, **k: n.ConvTranspose1d(1, 2, 3, **k),
                                  lambda n, **k: n.BatchNorm2d(3, **k),
                                  lambda n, **k: n.LayerNorm(3, **k),
                                  lambda n, **k: n.GroupNorm(1, 2, **k),
                                  lambda n, **k: n.InstanceNorm1d(2, affine=True, **k),
                                  lambda n, **k: n.Embedding(4, 2, **k)])
def test_layers_take_torchs_device_and_dtype_keywords(torch, make):
    for dtype in (np.float32, torch.float32, torch.float64):
        ours = make(nn, device="cpu", dtype=dtype)
        theirs = make(torch.nn, device="cpu", dtype=dtype if dtype is not np.float32
                      else torch.float32)
        for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
            assert str(a.dtype) == str(b.dtype).replace("torch.", ""), k
        assert names(ours.named_parameters()) == names(theirs.named_parameters())


def test_embedding_from_pretrained_freezes_and_keeps_the_padding_row_as_torch(torch):
    table = np.arange(12.0).reshape(4, 3)
    ids = np.array([[0, 2], [1, 2]])
    for freeze in (True, False):
        ours = nn.Embedding.from_pretrained(table, freeze=freeze, padding_idx=1)
        theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze,
                                                    padding_idx=1)
        assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
        np.testing.assert_array_equal(ours(Tensor(ids)).data,
                                      theirs(torch.tensor(ids)).detach().numpy())
        assert ours.padding_idx == theirs.padding_idx and ours.weight.shape == (4, 3)
    with pytest.raises(ValueError, match="2-D"):
        nn.Embedding.from_pretrained(np.ones(3))


def test_saving_a_state_dict_as_torch_users_do_round_trips_and_torch_reads_it(torch, tmp_path):
    import safetensors.torch
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model(Tensor(np.random.default_rng(0).standard_normal((4, 2))))
    tg.save(model.state_dict(), tmp_path / "m.safetensors")        # torch.save's habit
    other = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    tg.load(other, tmp_path / "m.safetensors")
    for (k, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        assert a.dtype == b.dtype and np.array_equal(a, b), k
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3)).double()
    theirs.load_state_dict(safetensors.torch.load_file(tmp_path / "m.safetensors"))
    assert int(theirs[1].num_batches_tracked) == 1


@pytest.mark.parametrize("fill", [lambda w: nn.init.zeros_(w), lambda w: nn.init.ones_(w),
                                  lambda w: nn.init.constant_(w, 0.5),
                                  lambda w: nn.init.normal_(w, std=0.02),
                                  lambda w: nn.init.kaiming_uniform_(w),
                                  lambda w: nn.init.xavier_uniform_(w)])
def test_init_after_a_forward_works_and_the_graph_keeps_its_values_as_torch(fill):
    m = nn.Linear(3, 2, bias=False)
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    before = m.weight.data.copy()
    loss = m(x).sum()
    fill(m.weight)                                   # torch allows re-init after a forward
    assert m.weight.dtype == np.float64 and m.weight.shape == (2, 3)
    assert not np.array_equal(m.weight.data, before)
    loss.backward()                                  # the graph used the old weights
    np.testing.assert_allclose(x.grad, np.tile(before.sum(axis=0), (4, 1)))


def test_default_collate_dtypes_and_strings_as_torch(torch):
    from torch.utils.data import default_collate
    for samples in ([1.5, 2.0], [1, 2], [True, False], [np.float32(1), np.float32(2)],
                    [np.ones(2), np.zeros(2)]):
        ours, theirs = tg.data.default_collate(samples), default_collate(samples)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert tg.data.default_collate(["a", "b"]) == default_collate(["a", "b"]) == ["a", "b"]
    ours = tg.data.default_collate([{"x": 1, "name": "a"}, {"x": 2, "name": "b"}])
    assert ours["x"].data.tolist() == [1, 2] and ours["name"] == ["a", "b"]


def test_a_torch_generator_is_refused_naming_the_numpy_spelling(torch):
    gen = torch.Generator().manual_seed(42)
    with pytest.raises(TypeError, match="default_rng"):
        tg.data.random_split(range(10), [3, 7], generator=gen)
    with pytest.raises(TypeError, match="default_rng"):
        list(tg.data.DataLoader(range(4), batch_size=2, shuffle=True, generator=gen))
