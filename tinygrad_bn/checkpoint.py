"""Checkpoints in safetensors, the format PyTorch and Hugging Face share: named arrays, no pickle.

`save` writes atomically (temporary file, fsync, rename), so a crash never leaves half a file
under the real name. `load` parses the header itself, within bounds, and checks every name,
dtype, shape and byte offset against the module before it reads any tensor data: a hostile or
mismatched file costs a few bytes of reading, never gigabytes, and leaves the module unchanged.
"""
import collections
import hashlib
import json
import math
import os
import secrets

import numpy as np
import safetensors.numpy

from .nn.state import array_of, state_mismatches

MAX_HEADER_BYTES = 100_000_000          # the safetensors library refuses larger headers too
DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
          "I32": np.int32, "I16": np.int16, "I8": np.int8, "U64": np.uint64, "U32": np.uint32,
          "U16": np.uint16, "U8": np.uint8, "BOOL": np.bool_,  # safetensors codes NumPy holds,
          "BF16": np.float32}  # and bfloat16, which NumPy lacks: read widened to float32, exactly
OTHER_FORMATS = [(b"PK\x03\x04", "a zip archive (torch.save's format, or an .npz checkpoint of an "
                  "older tinygrad_bn: convert one with model.load_state_dict({k: v for k, v in "
                  "np.load(path).items() if k != '__format__'}), then tg.save)"),
                 (b"\x80", "a pickle (torch.save's legacy format); tinygrad_bn never unpickles, "
                  "since loading a pickle can run any code"),
                 (b"\x93NUMPY", "a single .npy array")]
FIX = ("Fix: write checkpoints with tg.save(model, path), or in PyTorch with "
       "safetensors.torch.save_file(model.state_dict(), path)")
DIGEST_KEY = "tinygrad_bn.sha256"  # safetensors has no checksum: ours goes in __metadata__
Spec = collections.namedtuple("Spec", "dtype shape begin end code")   # a header entry, checked


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read, or does not fit the module it is loaded into."""


def save(module, path):
    """Write module.state_dict() (parameters, running stats, num_batches_tracked) to `path`
    as safetensors, which safetensors.torch.load_file and torch's load_state_dict accept.
    A state dict itself works too (torch's habit: tg.save(model.state_dict(), path))."""
    state = ({k: np.array(array_of(v), copy=True, order="C") for k, v in module.items()}
             if isinstance(module, dict) else module.state_dict())
    raw = safetensors.numpy.save(state, metadata={DIGEST_KEY: _digest(state)})
    _write_atomically(os.fspath(path), raw)


def load(module, path):
    """Load a safetensors checkpoint (from `save` or from PyTorch) into `module`; returns it.

    Raises CheckpointError, naming every missing, unexpected, mis-shaped or mis-typed key, and
    leaves the module unchanged when the file is not safetensors, is damaged or does not fit.
    A float file loads into a wider float model (float32 into float64) exactly, as in torch;
    a bfloat16 file (torch's .bfloat16() models) loads into float32 or float64 exactly.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise CheckpointError(f"load: {path!r} is a directory, not a checkpoint file; pass the "
                              f"file in it, e.g. {os.path.join(path, 'model.safetensors')!r}")
    with open(path, "rb") as f:                # a missing file stays a FileNotFoundError
        size = os.fstat(f.fileno()).st_size
        head = f.read(min(size, 8))
        header = _read_header(f, head, size, path)
        data_bytes = size - 8 - len(header)
        specs, metadata = _tensor_specs(header, data_bytes, path)
        _check_fits(module, specs, path)
        data = f.read(data_bytes)              # bounded: exactly the module's own bytes
    if len(data) != data_bytes:
        raise CheckpointError(f"load: {path!r} changed size while it was being read. {FIX}")
    arrays = {name: _decode(data, spec) for name, spec in specs.items()}
    if DIGEST_KEY in metadata and metadata[DIGEST_KEY] != _digest(arrays):  # torch's have none
        raise CheckpointError(f"load: {path!r} is corrupt: its tensor data does not match the "
                              f"checksum saved with it. {FIX}")
    module.load_state_dict(arrays)
    return module


def _decode(data, spec):
    """The array of one checked header entry, read from the data bytes (little-endian).

    bfloat16 is the top 16 bits of a float32, so shifting them up gives the same values exactly.
    """
    if spec.code == "BF16":
        bits = np.frombuffer(data, "<u2", math.prod(spec.shape), spec.begin).astype("<u4") << 16
        return bits.view("<f4").reshape(spec.shape)
    count = math.prod(spec.shape)
    return np.frombuffer(data, spec.dtype.newbyteorder("<"), count, spec.begin).reshape(spec.shape)


def _write_atomically(path, raw):
    """Write bytes to a temporary file next to `path`, fsync it, then rename it over `path`."""
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:                                       # 0o666 & umask: the permissions open() would give
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)                  # atomic on POSIX and Windows
    except BaseException:
        os.unlink(tmp)
        raise


def _read_header(f, head, size, path):
    """The JSON header's bytes, after checking the declared length against the file's size;
    a file that is not safetensors is named by its first bytes where they say what it is."""
    n = int.from_bytes(head, "little")
    if len(head) == 8 and n <= min(size - 8, MAX_HEADER_BYTES):
        header = f.read(n)
        if header.startswith(b"{"):
            return header
    for magic, what in OTHER_FORMATS:
        if head.startswith(magic):
            raise CheckpointError(f"load: {path!r} is {what}, not safetensors. {FIX}")
    if len(head) < 8:
        raise CheckpointError(f"load: {path!r} has {size} bytes, too short for safetensors (an "
                              f"8-byte header length, a JSON header, then the data). {FIX}")
    if n > size - 8 or n > MAX_HEADER_BYTES:
        raise CheckpointError(f"load: {path!r} declares a {n}-byte header but the file has "
                              f"{size} bytes (safetensors allows at most {MAX_HEADER_BYTES}): "
                              f"truncated, or not safetensors. {FIX}")
    raise CheckpointError(f"load: {path!r} is not safetensors: its header does not start with "
                          f"'{{'. {FIX}")


def _tensor_specs(header, data_bytes, path):
    """(name -> Spec for each tensor, __metadata__) of the header; refuses bad JSON, dtypes,
    shapes and offsets (holes, overlaps, sizes other than dtype * shape, data past the end)."""
    def fail(why):
        raise CheckpointError(f"load: {path!r} has a corrupt safetensors header: {why}. {FIX}")
    try:
        entries = json.loads(header.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        fail(f"{type(e).__name__}: {e}")
    metadata = entries.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        fail("__metadata__ must map strings to strings")
    specs = {name: _spec(name, entry, fail) for name, entry in entries.items()}
    end = 0
    for name, spec in sorted(specs.items(), key=lambda item: (item[1].begin, item[1].end)):
        if spec.begin != end:
            fail(f"tensor {name!r} starts at byte {spec.begin} of the data but the one before "
                 f"ends at {end} ({'overlapping' if spec.begin < end else 'a hole'})")
        end = spec.end
    if end != data_bytes:
        fail(f"the tensors cover {end} bytes of data but the file holds {data_bytes}")
    return specs, metadata


def _digest(arrays):
    """sha256 of the arrays' bytes in name order, so that a damaged byte of data is caught."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


def _spec(name, entry, fail):
    """One header entry {dtype, shape, data_offsets} as a Spec, or `fail` saying what is wrong."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        fail(f"tensor {name!r} must have exactly dtype, shape and data_offsets")
    code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(code, str) or code not in DTYPES:
        fail(f"tensor {name!r} has dtype {code!r}, which NumPy cannot hold (known: "
             f"{', '.join(DTYPES)}); in torch convert it first, e.g. model.double()")
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        fail(f"tensor {name!r} has shape {shape!r}; expected a list of counts >= 0")
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_count, offsets))
            or offsets[0] > offsets[1]):
        fail(f"tensor {name!r} has data_offsets {offsets!r}; expected [begin, end], begin <= end")
    dtype = np.dtype(DTYPES[code])
    nbytes = math.prod(shape) * (2 if code == "BF16" else dtype.itemsize)
    if offsets[1] - offsets[0] != nbytes:
        fail(f"tensor {name!r} is {code}{shape} ({nbytes} bytes) but "
             f"its data_offsets {offsets} span {offsets[1] - offsets[0]} bytes")
    return Spec(dtype, tuple(shape), *offsets, code)


def _is_count(value):
    """True for an int >= 0 (JSON true/false are bools, not counts)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _no_duplicates(pairs):
    """A JSON object as a dict, refusing a name given twice (json keeps the last silently)."""
    repeated = sorted(k for k, n in collections.Counter(k for k, _ in pairs).items() if n > 1)
    if repeated:
        raise ValueError(f"names given twice: {repeated}")
    return dict(pairs)


def _check_fits(module, specs, path):
    """CheckpointError naming every key of the file that does not fit `module` (names, shapes,
    and dtypes that would not convert exactly into the module's), by load_state_dict's rules."""
    state = module.state_dict()
    expected = {k: state[k] for k in module._required_slots(specs)}
    problems = state_mismatches(expected, specs)
    lossy = [f"{k} {s.dtype} -> {expected[k].dtype}" for k, s in specs.items()
             if k in expected and not np.can_cast(s.dtype, expected[k].dtype, "safe")]
    if lossy:
        problems.append(f"dtypes that would not convert exactly: {', '.join(lossy)}")
    if problems:
        raise CheckpointError(f"load {path!r} into {type(module).__name__}: " + "; ".join(problems)
                              + ". Nothing was loaded. Fix: build the same architecture (layers, "
                              "sizes, dtype) as the model that was saved")
