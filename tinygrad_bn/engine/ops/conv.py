"""Convolution primitives on (N, C, H, W) arrays, as PyTorch lays them out: conv2d, conv_transpose2d.

One GEMM per direction around im2col / col2im:
  im2col  copies every window of the padded input once, into cols (G, C/G*kh*kw, Ho*Wo*N);
          the forward is w @ cols, and backward reuses the saved cols for dw = g @ cols.T.
  col2im  is im2col's adjoint: the rows of dcols = w.T @ g go back with one strided add per
          kernel offset (kh*kw adds in all, none per pixel or sample; overlaps add up).
conv_transpose2d is conv2d's input gradient run forward, so both primitives share these four.
"""
from collections import namedtuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .base import Op
from .windows import check_4d, crop_hw, offset_slices, out_size, pad_hw, padding_pairs, pair

ConvArgs = namedtuple("ConvArgs", "stride padding dilation groups")


def conv_args(op, w, stride, padding, dilation, groups):
    """Normalise the hyper-parameters of a conv -> ConvArgs (pairs, ((top, bottom), (left, right)))."""
    stride, dilation = pair(stride, "stride", op), pair(dilation, "dilation", op)
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups={groups!r} must be an int >= 1")
    padding = padding_pairs(padding, op, w.shape[2:] if op == "conv2d" else None, dilation, stride)
    return ConvArgs(stride, padding, dilation, int(groups))


def im2col(xpad, kernel, args):
    """(N, C, Hp, Wp) -> (cols (G, C/G*kh*kw, Ho*Wo*N), (Ho, Wo)): each window copied once."""
    n, c, hp, wp = xpad.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, args.stride, args.dilation
    ho, wo = (out_size(size, k, s, d, "conv2d") for size, k, s, d in
              ((hp, kh, sh, dh), (wp, kw, sw, dw)))
    sn, sc, sy, sx = xpad.strides
    view = as_strided(xpad, (c, kh, kw, ho, wo, n), (sc, sy * dh, sx * dw, sy * sh, sx * sw, sn),
                      writeable=False)
    return np.ascontiguousarray(view).reshape(args.groups, -1, ho * wo * n), (ho, wo)


def col2im(dcols, shape, kernel, args, out_hw):
    """Adjoint of im2col: dcols (G, C/G*kh*kw, Ho*Wo*N) -> (N, C, Hp, Wp), overlaps adding up."""
    n, c, hp, wp = shape
    kh, kw = kernel
    dcols = dcols.reshape(c, kh, kw, *out_hw, n)
    dx = np.zeros((c, hp, wp, n), dtype=dcols.dtype)      # batch-last, as im2col reads it
    for i in range(kh):
        for j in range(kw):
            rows, cols = offset_slices(i, j, args.stride, args.dilation, out_hw)
            dx[:, rows, cols] += dcols[:, i, j]
    return dx.transpose(3, 0, 1, 2)


def channels_first(a, groups):
    """(N, C, H, W) -> (G, C/G, H*W*N), the GEMM layout of outputs and their gradients (free
    for a batch-last array, such as conv2d's own output)."""
    return a.transpose(1, 2, 3, 0).reshape(groups, a.shape[1] // groups, -1)


def conv_out(cols, w, n, out_hw, groups):
    """w @ cols per group -> (N, Cout, Ho, Wo), stored batch-last: the forward GEMM."""
    out = w.reshape(groups, w.shape[0] // groups, -1) @ cols
    return out.reshape(w.shape[0], *out_hw, n).transpose(3, 0, 1, 2)


def conv_dcols(g_cf, w, groups):
    """w.T @ g per group -> dcols (G, C/G*kh*kw, Ho*Wo*N), the GEMM before col2im."""
    return w.reshape(groups, w.shape[0] // groups, -1).transpose(0, 2, 1) @ g_cf


def check_channels(op, x, w, groups, x_channels_axis):
    """x and w fit: x (N, C, H, W) and the weight's channel axes agree with `groups`."""
    check_4d(x.shape, op)
    check_4d(w.shape, op, "weight")
    per_group = w.shape[1] if x_channels_axis == 1 else w.shape[0] // groups
    if x.shape[1] != w.shape[x_channels_axis] * (groups if x_channels_axis == 1 else 1) or \
            w.shape[0] % groups or x.shape[1] % groups:
        layout = ("(Cout, Cin/groups, kh, kw)" if x_channels_axis == 1
                  else "(Cin, Cout/groups, kh, kw)")
        raise ValueError(f"{op}: input {x.shape} and weight {w.shape} do not fit with "
                         f"groups={groups}: the weight is {layout}, so the input needs "
                         f"{per_group * groups} channels (and both channel counts divisible by "
                         "groups); check in_channels and groups")


class Conv2d(Op):
    """out[n,o] = sum_c,i,j xpad[n,c, h*s+i*d, w*s+j*d] * w[o,c,i,j] per group (torch's conv2d)."""
    name = "conv2d"
    rule = "dx = col2im(w.T @ g) ; dw = g @ cols.T   (cols = im2col(xpad), kept from forward)"

    @staticmethod
    def forward(x, w, *, needs_input_grad, stride=1, padding=0, dilation=1, groups=1):
        args = conv_args("conv2d", w, stride, padding, dilation, groups)
        check_channels("conv2d", x, w, args.groups, 1)
        xpad = pad_hw(x, args.padding)
        cols, out_hw = im2col(xpad, w.shape[2:], args)
        out = conv_out(cols, w, x.shape[0], out_hw, args.groups)
        return out, {"cols": cols, "w": w, "xpad_shape": xpad.shape, "args": args}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        cols, w, args = saved["cols"], saved["w"], saved["args"]
        g_cf = channels_first(g, args.groups)
        dx = dw = None
        if needs_input_grad[0]:            # a network's first conv needs no dx: skip it
            dcols = conv_dcols(g_cf, w, args.groups)
            dx = crop_hw(col2im(dcols, saved["xpad_shape"], w.shape[2:], args, g.shape[2:]),
                         args.padding)
        if needs_input_grad[1]:
            dw = (g_cf @ cols.transpose(0, 2, 1)).reshape(w.shape)
        return dx, dw

    @staticmethod
    def decompose(x, w, stride=1, padding=0, dilation=1, groups=1):
        """create_graph: the saved cols are derived from x, so the walk goes through pad, one
        slice of the padded input per kernel offset, stack and one einsum with w."""
        from ..tensor import stack
        args = conv_args("conv2d", w.data, stride, padding, dilation, groups)
        xpad = x.pad(((0, 0), (0, 0)) + args.padding)
        (kh, kw), (n, c, hp, wp), g = w.shape[2:], xpad.shape, args.groups
        out_hw = tuple(out_size(size, k, s, d, "conv2d") for size, k, s, d in
                       zip((hp, wp), (kh, kw), args.stride, args.dilation))
        cols = stack([xpad[(slice(None), slice(None)) + offset_slices(
            i, j, args.stride, args.dilation, out_hw)] for i in range(kh) for j in range(kw)], 2)
        cols = cols.reshape(n, g, c // g, kh * kw, *out_hw)
        wg = w.reshape(g, w.shape[0] // g, c // g, kh * kw)
        return np.einsum("ngckhw,gock->ngohw", cols, wg).reshape(n, w.shape[0], *out_hw)


class ConvTranspose2d(Op):
    """out = conv2d's input gradient for g = x: each x pixel scatters x * w over a window (torch's)."""
    name = "conv_transpose2d"
    rule = "dx = conv2d(gpad, w) = w @ im2col(gpad) ; dw = x @ im2col(gpad).T"

    @staticmethod
    def forward(x, w, *, needs_input_grad, stride=1, padding=0, output_padding=0, groups=1,
                dilation=1):
        args = conv_args("conv_transpose2d", w, stride, padding, dilation, groups)
        check_channels("conv_transpose2d", x, w, args.groups, 0)
        extra = pair(output_padding, "output_padding", "conv_transpose2d", 0)
        if any(e >= max(s, d) for e, s, d in zip(extra, args.stride, args.dilation)):
            raise ValueError(f"conv_transpose2d: output_padding={output_padding!r} must be "
                             f"smaller than stride {args.stride} or dilation {args.dilation} "
                             "(per axis), as in torch")
        full = tuple((n - 1) * s + d * (k - 1) + 1 + e for n, s, d, k, e in
                     zip(x.shape[2:], args.stride, args.dilation, w.shape[2:], extra))
        shape = (x.shape[0], w.shape[1] * args.groups) + full
        if any(f <= sum(p) for f, p in zip(full, args.padding)):
            raise ValueError(f"conv_transpose2d: padding {args.padding} crops the whole "
                             f"{full[0]}x{full[1]} output of input {x.shape} and weight "
                             f"{w.shape}; use less padding")
        dcols = conv_dcols(channels_first(x, args.groups), w, args.groups)
        out = crop_hw(col2im(dcols, shape, w.shape[2:], args, x.shape[2:]), args.padding)
        used = tuple(f - e for f, e in zip(full, extra))   # padded rows/cols x's windows touch
        return out, {"x": x, "w": w, "args": args, "used": used}

    @staticmethod
    def backward(g, saved, needs_input_grad):
        x, w, args, (uh, uw) = saved["x"], saved["w"], saved["args"], saved["used"]
        cols, _ = im2col(pad_hw(g, args.padding)[:, :, :uh, :uw], w.shape[2:], args)
        dx = dw = None
        if needs_input_grad[0]:
            dx = conv_out(cols, w, x.shape[0], x.shape[2:], args.groups)
        if needs_input_grad[1]:
            dw = (channels_first(x, args.groups) @ cols.transpose(0, 2, 1)).reshape(w.shape)
        return dx, dw

    @staticmethod
    def decompose(x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        """create_graph: col2im writes in place, so the walk goes through one einsum per kernel
        offset, spread by the stride and padded to its place, summed, then cropped."""
        args = conv_args("conv_transpose2d", w.data, stride, padding, dilation, groups)
        extra = pair(output_padding, "output_padding", "conv_transpose2d", 0)
        (n, c, h, wd), (kh, kw), g = x.shape, w.shape[2:], args.groups
        full = tuple((m - 1) * s + d * (k - 1) + 1 + e for m, s, d, k, e in
                     zip((h, wd), args.stride, args.dilation, (kh, kw), extra))
        xg, wg = x.reshape(n, g, c // g, h, wd), w.reshape(g, c // g, w.shape[1], kh, kw)
        out = None
        for i in range(kh):
            for j in range(kw):
                part = np.einsum("ngchw,gco->ngohw", xg, wg[:, :, :, i, j])
                part = _spread(part.reshape(n, -1, h, wd), args.stride)
                top, left = i * args.dilation[0], j * args.dilation[1]
                part = part.pad(((0, 0), (0, 0), (top, full[0] - top - part.shape[2]),
                                 (left, full[1] - left - part.shape[3])))
                out = part if out is None else out + part
        (pt, pb), (pl, pr) = args.padding
        return out[:, :, pt:full[0] - pb, pl:full[1] - pr]


def _spread(t, stride):
    """Tensor t (N, C, H, W) with stride - 1 zero rows (columns) after each row (column) but the
    last: where conv_transpose2d's windows put x's pixels."""
    from ..tensor import Tensor, stack
    for axis, s in ((2, stride[0]), (3, stride[1])):
        if s > 1:
            zeros = Tensor(np.zeros(t.shape, t.dtype))
            shape = list(t.shape)
            shape[axis] *= s
            t = stack([t] + [zeros] * (s - 1), axis + 1).reshape(*shape)
            t = t[(slice(None),) * axis + (slice(0, shape[axis] - s + 1),)]
    return t
