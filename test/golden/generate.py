#!/usr/bin/python3
"""Golden fixtures for convkit, generated from PyTorch (and numpy) references.

Run with Debian's python (apt-get install -y python3-torch python3-numpy):

    /usr/bin/python3 test/golden/generate.py

Writes test/golden/<family>.json for the families conv, conv_transpose, partial_conv,
pad, interpolate and examples.  Everything is deterministic: every family draws its
data from its own numpy Generator with a fixed seed, torch runs single-threaded.

Case format (see README.md):
  { "name", "op", "input": {"shape", "data"}, "weight": {...}|null, "mask": {...}|null,
    "bias": "b64"|null, "args": {...convkit option names...},
    "expected": {"shape", "data"}, "expectedMask": {...}|null,
    "reduction": <terms summed per output>, "scale": <bound on |term| of that sum,
    after any rescaling>, "reference": "torch"|"independent" }
Arrays are base64 of little-endian float32, shapes channels-first (NCW/NCHW/NCDHW).

Convolution-like references (conv, conv_transpose, partial_conv) are evaluated in
float64 on the float32 inputs and rounded once to float32, so the expected values carry
no accumulation error of their own; interpolate is evaluated by torch in float32 exactly
as F.interpolate does it (its index arithmetic is float32 and part of the semantics);
pad is a copy, exact in any precision.
"""
import base64
import json
import math
import os
import sys
import warnings
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
warnings.filterwarnings('ignore', message='Using padding=.same. with even kernel')
torch.manual_seed(0)
torch.use_deterministic_algorithms(True)

OUT = os.path.dirname(os.path.abspath(__file__))
CF = {1: 'NCW', 2: 'NCHW', 3: 'NCDHW'}


# ----------------------------------------------------------------------------- helpers

def b64(a):
    a = np.ascontiguousarray(np.asarray(a, dtype='<f4'))
    return base64.b64encode(a.tobytes()).decode('ascii')


def tens(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": [int(s) for s in a.shape], "data": b64(a)}


def f32(a):
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float32)


def t64(a):
    return torch.from_numpy(np.ascontiguousarray(np.asarray(a, dtype=np.float64)))


def rng_for(family):
    return np.random.default_rng(zlib.crc32(family.encode()) + 20240601)


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def uniform(rng, *shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape).astype(np.float32)


def tup(v, nd):
    if isinstance(v, (list, tuple)):
        assert len(v) == nd, (v, nd)
        return tuple(int(x) for x in v)
    return (int(v),) * nd


def pairs_of(padding, nd):
    """convkit padding (number | number[] | [b,a][]) -> [(before, after)] in spatial order."""
    if isinstance(padding, (list, tuple)):
        assert len(padding) == nd
        out = []
        for p in padding:
            if isinstance(p, (list, tuple)):
                out.append((int(p[0]), int(p[1])))
            else:
                out.append((int(p), int(p)))
        return out
    return [(int(padding), int(padding))] * nd


def torch_pad_tuple(pairs):
    """[(b,a)] in spatial order (D,H,W) -> F.pad tuple (last dim first)."""
    t = []
    for b, a in reversed(pairs):
        t += [b, a]
    return tuple(t)


NP_MODE = {'constant': 'constant', 'zeros': 'constant', 'reflect': 'reflect',
           'replicate': 'edge', 'circular': 'wrap', 'symmetric': 'symmetric'}


def src_index(p, n, mode):
    """Source index of padded position p (may be < 0 or >= n) along an axis of length n.

    numpy.pad semantics for any pad width: the reflection / wrap repeats periodically
    (period 2(n-1) for reflect, 2n for symmetric, n for wrap).  This is what numpy.pad
    computes since numpy 1.25 (wrap, numpy#22575) and 2.1 (reflect/symmetric, numpy#25963).
    Debian's numpy 1.24.2 still has those bugs for wide asymmetric pads (numpy#22464,
    numpy#25926), so the fixtures use this index map and np.pad only as a cross-check.
    Returns -1 for constant padding."""
    if 0 <= p < n:
        return p
    if mode in ('constant', 'zeros'):
        return -1
    if mode == 'replicate':
        return min(max(p, 0), n - 1)
    if mode == 'circular':
        return p % n
    if mode == 'reflect':
        if n == 1:
            return 0  # numpy's legacy behaviour for a singleton axis (edge)
        q = p % (2 * (n - 1))
        return q if q < n else 2 * (n - 1) - q
    if mode == 'symmetric':
        q = p % (2 * n)
        return q if q < n else 2 * n - 1 - q
    raise ValueError(mode)


NUMPY_124_DIFFS = []


def np_pad(x, pairs, mode, value=0.0):
    """numpy.pad (non-negative widths) of the spatial axes, by explicit index maps."""
    out = np.asarray(x)
    nd = len(pairs)
    for d, (b, a) in enumerate(pairs):
        assert b >= 0 and a >= 0
        ax = out.ndim - nd + d
        n = out.shape[ax]
        idx = np.array([src_index(p, n, mode) for p in range(-b, n + a)], dtype=np.int64)
        taken = np.take(out, np.where(idx < 0, 0, idx), axis=ax)
        shape = [1] * out.ndim
        shape[ax] = len(idx)
        out = np.where(idx.reshape(shape) < 0, np.asarray(value, dtype=out.dtype), taken).astype(out.dtype)
    # cross-check with the installed numpy.pad
    widths = [(0, 0)] * (out.ndim - nd) + [tuple(p) for p in pairs]
    if NP_MODE[mode] == 'constant':
        ref = np.pad(x, widths, mode='constant', constant_values=value)
    else:
        ref = np.pad(x, widths, mode=NP_MODE[mode])
    if not np.array_equal(ref, out):
        NUMPY_124_DIFFS.append((mode, [tuple(p) for p in pairs], list(np.shape(x)[-nd:])))
    return out


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
CONV_MOD = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
CONVT_MOD = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


def maxabs(*arrs):
    m = 0.0
    for a in arrs:
        if a is None:
            continue
        a = np.asarray(a, dtype=np.float64)
        if a.size:
            m = max(m, float(np.max(np.abs(a))))
    return m


def case(name, op, x, weight, bias, args, expected, reduction, scale, reference,
         mask=None, expected_mask=None):
    return {
        "name": name,
        "op": op,
        "input": tens(x),
        "weight": tens(weight) if weight is not None else None,
        "mask": tens(mask) if mask is not None else None,
        "bias": b64(bias) if bias is not None else None,
        "args": args,
        "expected": tens(expected),
        "expectedMask": tens(expected_mask) if expected_mask is not None else None,
        "reduction": int(reduction),
        "scale": float(scale),
        "reference": reference,
    }


# ----------------------------------------------------------------------------- conv

def same_upper_pairs(in_sp, k, s, d):
    out = []
    for i, kk, ss, dd in zip(in_sp, k, s, d):
        total = max((math.ceil(i / ss) - 1) * ss + dd * (kk - 1) + 1 - i, 0)
        out.append((total // 2, total - total // 2))
    return out


def conv_case(rng, name, nd, N, Cin, Cout, sp, k, args=None, bias=True, x=None, w=None):
    """Build a convNd case. args uses convkit names. Returns the case dict."""
    args = dict(args or {})
    k = tup(k, nd)
    sp = tup(sp, nd)
    groups = args.get('groups', 1)
    stride = tup(args.get('stride', 1), nd)
    dil = tup(args.get('dilation', 1), nd)
    padding = args.get('padding', 0)
    mode = args.get('paddingMode', 'zeros')
    value = float(args.get('paddingValue', 0.0))
    if x is None:
        x = randn(rng, N, Cin, *sp)
    if w is None:
        w = (randn(rng, Cout, Cin // groups, *k) / np.float32(math.sqrt(Cin // groups * np.prod(k)))).astype(np.float32)
    b = randn(rng, Cout) if bias else None
    conv = CONV[nd]
    bt = t64(b) if b is not None else None
    reference = 'torch'
    scale_x = maxabs(x)

    if mode == 'partial':
        # Independent reference of SPEC 3.1 'partial': zero-padded window sum scaled by
        # prod(k) / (# in-bounds taps); 0 (bias included) where no tap is in bounds.
        reference = 'independent'
        if padding == 'same':
            pairs = same_upper_pairs(sp, k, stride, dil)
        elif padding == 'valid':
            pairs = [(0, 0)] * nd
        elif padding == 'full':
            pairs = [(dd * (kk - 1),) * 2 for kk, dd in zip(k, dil)]
        else:
            pairs = pairs_of(padding, nd)
        xp = np_pad(x, pairs, 'zeros')
        raw = conv(t64(xp), t64(w), None, stride, 0, dil, groups)
        ones = np_pad(np.ones((1, 1) + sp), pairs, 'zeros')
        cnt = conv(t64(ones), torch.ones((1, 1) + k, dtype=torch.float64), None, stride, 0, dil, 1)
        win = float(np.prod(k))
        has = cnt > 0
        ratio = torch.where(has, win / torch.where(has, cnt, torch.ones_like(cnt)), torch.zeros_like(cnt))
        out = raw * ratio
        if bt is not None:
            out = out + bt.view(1, -1, *([1] * nd)) * has.to(out.dtype)
        minc = float(cnt[has].min())
        scale = max(scale_x * maxabs(w) * win / minc, maxabs(b))
        red = (Cin // groups) * int(np.prod(k))
        return case(name, f'conv{nd}d', x, w, b, args, f32(out), red, scale, reference)

    # geometry -> explicit per-dim (before, after) pairs where needed
    torch_direct = None  # (padding for torch module, padding_mode)
    if padding == 'same':
        if all(s == 1 for s in stride):
            torch_direct = ('same', mode)
        else:
            reference = 'independent'
            pairs = same_upper_pairs(sp, k, stride, dil)
    elif padding == 'valid':
        torch_direct = ('valid', mode)
    elif padding == 'full':
        torch_direct = (tuple(dd * (kk - 1) for kk, dd in zip(k, dil)), mode)
    else:
        pairs = pairs_of(padding, nd)
        if all(b_ == a_ for b_, a_ in pairs):
            torch_direct = (tuple(b_ for b_, _ in pairs), mode)

    if mode == 'symmetric':
        reference = 'independent'
        torch_direct = None
        if padding == 'full':
            pairs = [(dd * (kk - 1),) * 2 for kk, dd in zip(k, dil)]
        elif padding == 'same' and all(s == 1 for s in stride):
            pairs = same_upper_pairs(sp, k, stride, dil)
    if mode in ('constant',):
        torch_direct = None  # F.pad(constant, value) then conv
        if padding == 'full':
            pairs = [(dd * (kk - 1),) * 2 for kk, dd in zip(k, dil)]
        elif padding == 'same':
            pairs = same_upper_pairs(sp, k, stride, dil)
        elif padding == 'valid':
            pairs = [(0, 0)] * nd
    if torch_direct is not None and mode in ('reflect', 'circular'):
        pp = torch_direct[0]
        if isinstance(pp, tuple):
            if any(p > (i - 1 if mode == 'reflect' else i) for p, i in zip(pp, sp)):
                torch_direct = None  # wider than torch allows: numpy.pad semantics
                pairs = [(p, p) for p in pp]
                reference = 'independent'

    if torch_direct is not None:
        pp, pm = torch_direct
        m = CONV_MOD[nd](Cin, Cout, k, stride=stride, padding=pp, dilation=dil, groups=groups,
                         bias=b is not None, padding_mode=pm).double()
        with torch.no_grad():
            m.weight.copy_(t64(w))
            if b is not None:
                m.bias.copy_(bt)
            out = m(t64(x))
    else:
        wide = any(max(b_, a_) > (i - 1 if mode == 'reflect' else i) for (b_, a_), i in zip(pairs, sp))
        if mode in ('reflect', 'circular') and wide:
            reference = 'independent'
        if mode in ('zeros', 'constant') or (reference == 'torch' and mode in ('reflect', 'replicate', 'circular')):
            # torch composition: F.pad then convolution without padding
            tm = 'constant' if mode in ('zeros', 'constant') else mode
            kw = {'value': value} if tm == 'constant' else {}
            xp = F.pad(t64(x), torch_pad_tuple(pairs), mode=tm, **kw)
        else:
            if reference == 'torch':
                reference = 'independent'
            xp = t64(np_pad(x, pairs, mode, value))
        out = conv(xp, t64(w), bt, stride, 0, dil, groups)
    scale = max(max(scale_x, abs(value)) * maxabs(w), maxabs(b))
    red = (Cin // groups) * int(np.prod(k))
    return case(name, f'conv{nd}d', x, w, b, args, f32(out), red, scale, reference)


def gen_conv():
    rng = rng_for('conv')
    C = []
    A = C.append
    # ---- conv1d
    A(conv_case(rng, 'conv1d basic k3 bias', 1, 2, 3, 5, 11, 3))
    A(conv_case(rng, 'conv1d stride2 pad1 nobias', 1, 1, 5, 7, 13, 3, {'stride': 2, 'padding': 1}, bias=False))
    A(conv_case(rng, 'conv1d dilation2 pad2', 1, 2, 4, 3, 12, 3, {'dilation': 2, 'padding': 2}))
    A(conv_case(rng, 'conv1d groups3', 1, 2, 9, 6, 10, 3, {'groups': 3, 'padding': 1}))
    A(conv_case(rng, 'conv1d depthwise c7 k5', 1, 2, 7, 7, 12, 5, {'groups': 7, 'padding': 2}))
    A(conv_case(rng, 'conv1d depthwise mult2 stride2', 1, 3, 5, 10, 11, 3, {'groups': 5, 'stride': 2}))
    A(conv_case(rng, 'conv1d pointwise k1 c12->9', 1, 2, 12, 9, 7, 1))
    A(conv_case(rng, 'conv1d c8->16 k3 pad1', 1, 1, 8, 16, 13, 3, {'padding': 1}))
    A(conv_case(rng, 'conv1d valid k4', 1, 2, 3, 4, 10, 4, {'padding': 'valid'}))
    A(conv_case(rng, 'conv1d same k4 dil2', 1, 2, 3, 5, 9, 4, {'padding': 'same', 'dilation': 2}))
    A(conv_case(rng, 'conv1d same k5', 1, 1, 5, 3, 8, 5, {'padding': 'same'}))
    A(conv_case(rng, 'conv1d full k3 dil2', 1, 2, 3, 2, 7, 3, {'padding': 'full', 'dilation': 2}))
    A(conv_case(rng, 'conv1d per-dim padding [2]', 1, 1, 3, 4, 9, 5, {'padding': [2]}))
    A(conv_case(rng, 'conv1d pairs [[1,2]]', 1, 2, 3, 5, 9, 3, {'padding': [[1, 2]]}))
    A(conv_case(rng, 'conv1d pairs [[0,3]] stride2', 1, 1, 4, 3, 10, 4, {'padding': [[0, 3]], 'stride': 2}))
    A(conv_case(rng, 'conv1d reflect pad2 k5', 1, 2, 3, 4, 9, 5, {'padding': 2, 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv1d replicate pad3', 1, 1, 3, 4, 8, 3, {'padding': 3, 'paddingMode': 'replicate'}))
    A(conv_case(rng, 'conv1d circular pad2 stride2', 1, 2, 5, 3, 11, 5, {'padding': 2, 'paddingMode': 'circular', 'stride': 2}))
    A(conv_case(rng, 'conv1d constant 1.5 pad2', 1, 2, 3, 4, 9, 3, {'padding': 2, 'paddingMode': 'constant', 'paddingValue': 1.5}))
    A(conv_case(rng, 'conv1d reflect pairs [[2,1]]', 1, 1, 3, 2, 7, 3, {'padding': [[2, 1]], 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv1d same stride2 k3', 1, 2, 3, 4, 11, 3, {'padding': 'same', 'stride': 2}))
    A(conv_case(rng, 'conv1d same stride3 k4', 1, 1, 5, 3, 12, 4, {'padding': 'same', 'stride': 3}))
    A(conv_case(rng, 'conv1d same stride2 k3 dil2', 1, 2, 3, 3, 10, 3, {'padding': 'same', 'stride': 2, 'dilation': 2}))
    A(conv_case(rng, 'conv1d same stride4 k2 (no padding needed)', 1, 1, 3, 3, 13, 2, {'padding': 'same', 'stride': 4}))
    A(conv_case(rng, 'conv1d same stride2 reflect', 1, 2, 3, 4, 10, 4, {'padding': 'same', 'stride': 2, 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv1d symmetric pad2', 1, 2, 3, 4, 9, 5, {'padding': 2, 'paddingMode': 'symmetric'}))
    A(conv_case(rng, 'conv1d symmetric pairs [[1,3]]', 1, 1, 5, 3, 8, 3, {'padding': [[1, 3]], 'paddingMode': 'symmetric'}))
    A(conv_case(rng, 'conv1d partial pad1 k3', 1, 2, 3, 4, 9, 3, {'padding': 1, 'paddingMode': 'partial'}))
    A(conv_case(rng, 'conv1d partial pairs [[3,1]] (empty window) bias', 1, 2, 3, 4, 8, 3, {'padding': [[3, 1]], 'paddingMode': 'partial'}))
    A(conv_case(rng, 'conv1d partial same stride2 dil2', 1, 1, 4, 3, 11, 3, {'padding': 'same', 'stride': 2, 'dilation': 2, 'paddingMode': 'partial'}))
    A(conv_case(rng, 'conv1d partial groups2 pad2 k5 nobias', 1, 2, 6, 4, 9, 5, {'padding': 2, 'groups': 2, 'paddingMode': 'partial'}, bias=False))
    A(conv_case(rng, 'conv1d reflect wider than input (numpy)', 1, 1, 2, 3, 4, 3, {'padding': 5, 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv1d circular wider than input (numpy)', 1, 2, 2, 3, 3, 3, {'padding': 4, 'paddingMode': 'circular'}))
    A(conv_case(rng, 'conv1d symmetric wider than input', 1, 1, 3, 2, 3, 3, {'padding': 5, 'paddingMode': 'symmetric'}))
    A(conv_case(rng, 'conv1d replicate wider than input', 1, 1, 2, 2, 3, 3, {'padding': 6, 'paddingMode': 'replicate'}))
    A(conv_case(rng, 'conv1d reflect pairs [[1,8]] multi-cycle', 1, 1, 2, 2, 3, 3, {'padding': [[1, 8]], 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv1d circular pairs [[7,1]] multi-cycle', 1, 1, 2, 2, 3, 2, {'padding': [[7, 1]], 'paddingMode': 'circular'}))
    # ---- conv2d
    A(conv_case(rng, 'conv2d basic k3 bias', 2, 2, 3, 5, (9, 11), 3))
    A(conv_case(rng, 'conv2d batch3 nobias', 2, 3, 2, 3, (7, 6), 3, bias=False))
    A(conv_case(rng, 'conv2d k3x5 padding [1,2]', 2, 2, 3, 4, (8, 10), (3, 5), {'padding': [1, 2]}))
    A(conv_case(rng, 'conv2d stride [1,2] dilation [2,1]', 2, 1, 5, 6, (11, 12), 3, {'stride': [1, 2], 'dilation': [2, 1], 'padding': [2, 1]}))
    A(conv_case(rng, 'conv2d c8->16 stride2 pad1 nobias', 2, 1, 8, 16, (12, 12), 3, {'stride': 2, 'padding': 1}, bias=False))
    A(conv_case(rng, 'conv2d c12->9 k3', 2, 2, 12, 9, (7, 9), 3, {'padding': 1}))
    A(conv_case(rng, 'conv2d c1->7', 2, 2, 1, 7, (10, 9), 3, {'padding': 1}))
    A(conv_case(rng, 'conv2d c9->1 k5', 2, 1, 9, 1, (9, 9), 5))
    A(conv_case(rng, 'conv2d groups2 c6->4', 2, 2, 6, 4, (8, 9), 3, {'groups': 2, 'padding': 1}))
    A(conv_case(rng, 'conv2d groups4 c8->12 stride2', 2, 1, 8, 12, (9, 10), 3, {'groups': 4, 'stride': 2}))
    A(conv_case(rng, 'conv2d depthwise c9 k3 pad1', 2, 2, 9, 9, (10, 11), 3, {'groups': 9, 'padding': 1}))
    A(conv_case(rng, 'conv2d depthwise mult2 c5->10 k5 stride2', 2, 2, 5, 10, (11, 13), 5, {'groups': 5, 'stride': 2, 'padding': 2}))
    A(conv_case(rng, 'conv2d depthwise c7 dil2 nobias', 2, 1, 7, 7, (12, 10), 3, {'groups': 7, 'dilation': 2, 'padding': 2}, bias=False))
    A(conv_case(rng, 'conv2d depthwise c16 k3 stride2', 2, 1, 16, 16, (9, 9), 3, {'groups': 16, 'stride': 2, 'padding': 1}))
    A(conv_case(rng, 'conv2d pointwise c12->5', 2, 2, 12, 5, (6, 7), 1))
    A(conv_case(rng, 'conv2d k7 pad3', 2, 1, 3, 4, (8, 8), 7, {'padding': 3}))
    A(conv_case(rng, 'conv2d k1x3 stride [2,1]', 2, 1, 4, 3, (9, 8), (1, 3), {'stride': [2, 1]}))
    A(conv_case(rng, 'conv2d valid', 2, 2, 3, 4, (7, 8), 3, {'padding': 'valid'}))
    A(conv_case(rng, 'conv2d same k3', 2, 2, 3, 5, (7, 9), 3, {'padding': 'same'}))
    A(conv_case(rng, 'conv2d same k4x2 dil [1,2]', 2, 1, 3, 4, (8, 9), (4, 2), {'padding': 'same', 'dilation': [1, 2]}))
    A(conv_case(rng, 'conv2d full k3', 2, 2, 2, 3, (6, 5), 3, {'padding': 'full'}))
    A(conv_case(rng, 'conv2d full k2x3 dil2', 2, 1, 3, 2, (6, 7), (2, 3), {'padding': 'full', 'dilation': 2}))
    A(conv_case(rng, 'conv2d pairs [[0,1],[2,1]]', 2, 2, 3, 4, (8, 9), 3, {'padding': [[0, 1], [2, 1]]}))
    A(conv_case(rng, 'conv2d pairs [[1,0],[0,2]] stride2', 2, 1, 5, 3, (9, 10), 3, {'padding': [[1, 0], [0, 2]], 'stride': 2}))
    A(conv_case(rng, 'conv2d reflect [1,2]', 2, 2, 3, 4, (7, 8), (3, 5), {'padding': [1, 2], 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv2d replicate pad2', 2, 1, 3, 5, (6, 7), 5, {'padding': 2, 'paddingMode': 'replicate'}))
    A(conv_case(rng, 'conv2d circular pad1 stride2', 2, 2, 4, 3, (9, 8), 3, {'padding': 1, 'paddingMode': 'circular', 'stride': 2}))
    A(conv_case(rng, 'conv2d circular [2,3] groups2', 2, 1, 4, 6, (7, 6), (5, 7), {'padding': [2, 3], 'paddingMode': 'circular', 'groups': 2}))
    A(conv_case(rng, 'conv2d constant -0.75 pad1', 2, 2, 3, 4, (6, 7), 3, {'padding': 1, 'paddingMode': 'constant', 'paddingValue': -0.75}))
    A(conv_case(rng, 'conv2d constant 2 pairs', 2, 1, 2, 3, (6, 6), 3, {'padding': [[2, 0], [1, 3]], 'paddingMode': 'constant', 'paddingValue': 2.0}))
    A(conv_case(rng, 'conv2d reflect pairs [[1,2],[2,0]]', 2, 1, 3, 4, (7, 8), 3, {'padding': [[1, 2], [2, 0]], 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv2d replicate pairs [[0,2],[3,1]]', 2, 1, 3, 2, (6, 7), 3, {'padding': [[0, 2], [3, 1]], 'paddingMode': 'replicate'}))
    A(conv_case(rng, 'conv2d same reflect k3 (torch)', 2, 2, 3, 4, (7, 8), 3, {'padding': 'same', 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv2d same circular k4 (torch)', 2, 1, 3, 4, (8, 7), 4, {'padding': 'same', 'paddingMode': 'circular'}))
    A(conv_case(rng, 'conv2d full replicate', 2, 1, 2, 3, (5, 6), 3, {'padding': 'full', 'paddingMode': 'replicate'}))
    A(conv_case(rng, 'conv2d same stride2 k3 odd', 2, 2, 3, 4, (9, 11), 3, {'padding': 'same', 'stride': 2}))
    A(conv_case(rng, 'conv2d same stride2 k3 even', 2, 1, 3, 5, (10, 12), 3, {'padding': 'same', 'stride': 2}))
    A(conv_case(rng, 'conv2d same stride [2,3] k [4,5]', 2, 1, 4, 3, (11, 13), (4, 5), {'padding': 'same', 'stride': [2, 3]}))
    A(conv_case(rng, 'conv2d same stride2 dil2 k3', 2, 2, 3, 3, (10, 9), 3, {'padding': 'same', 'stride': 2, 'dilation': 2}))
    A(conv_case(rng, 'conv2d same stride2 replicate', 2, 1, 3, 4, (9, 10), 3, {'padding': 'same', 'stride': 2, 'paddingMode': 'replicate'}))
    A(conv_case(rng, 'conv2d same stride2 circular k4', 2, 1, 3, 4, (9, 8), 4, {'padding': 'same', 'stride': 2, 'paddingMode': 'circular'}))
    A(conv_case(rng, 'conv2d same stride3 depthwise', 2, 1, 6, 6, (13, 11), 5, {'padding': 'same', 'stride': 3, 'groups': 6}))
    A(conv_case(rng, 'conv2d symmetric [1,2]', 2, 2, 3, 4, (7, 8), (3, 5), {'padding': [1, 2], 'paddingMode': 'symmetric'}))
    A(conv_case(rng, 'conv2d symmetric pairs [[0,2],[1,0]]', 2, 1, 3, 2, (6, 7), 3, {'padding': [[0, 2], [1, 0]], 'paddingMode': 'symmetric'}))
    A(conv_case(rng, 'conv2d symmetric same stride2', 2, 1, 3, 4, (9, 8), 3, {'padding': 'same', 'stride': 2, 'paddingMode': 'symmetric'}))
    A(conv_case(rng, 'conv2d partial pad1', 2, 2, 3, 5, (8, 9), 3, {'padding': 1, 'paddingMode': 'partial'}))
    A(conv_case(rng, 'conv2d partial same stride2', 2, 1, 4, 3, (9, 10), 3, {'padding': 'same', 'stride': 2, 'paddingMode': 'partial'}))
    A(conv_case(rng, 'conv2d partial pairs [[3,0],[1,4]] empty windows bias', 2, 2, 3, 4, (6, 7), 3, {'padding': [[3, 0], [1, 4]], 'paddingMode': 'partial'}))
    A(conv_case(rng, 'conv2d partial dil2 pad2 nobias', 2, 1, 3, 4, (8, 8), 3, {'padding': 2, 'dilation': 2, 'paddingMode': 'partial'}, bias=False))
    A(conv_case(rng, 'conv2d partial k5 pad [2,1] depthwise', 2, 1, 5, 5, (7, 9), (5, 3), {'padding': [2, 1], 'groups': 5, 'paddingMode': 'partial'}))
    A(conv_case(rng, 'conv2d reflect wider than input (numpy)', 2, 1, 2, 3, (3, 4), 3, {'padding': [4, 5], 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv2d circular wider than input (numpy)', 2, 1, 3, 2, (3, 2), 3, {'padding': [4, 3], 'paddingMode': 'circular'}))
    A(conv_case(rng, 'conv2d symmetric wider than input', 2, 1, 2, 2, (2, 3), 3, {'padding': 4, 'paddingMode': 'symmetric'}))
    # ---- conv3d
    A(conv_case(rng, 'conv3d basic k3 bias', 3, 1, 3, 4, (6, 7, 5), 3))
    A(conv_case(rng, 'conv3d batch2 stride2 pad1 nobias', 3, 2, 2, 5, (7, 6, 8), 3, {'stride': 2, 'padding': 1}, bias=False))
    A(conv_case(rng, 'conv3d dilation2 pad2', 3, 1, 3, 3, (7, 7, 6), 3, {'dilation': 2, 'padding': 2}))
    A(conv_case(rng, 'conv3d k (2,3,1) stride [1,2,1]', 3, 1, 3, 4, (6, 7, 5), (2, 3, 1), {'stride': [1, 2, 1], 'padding': [1, 1, 0]}))
    A(conv_case(rng, 'conv3d groups2 c4->6', 3, 1, 4, 6, (5, 6, 6), 3, {'groups': 2, 'padding': 1}))
    A(conv_case(rng, 'conv3d depthwise c5', 3, 1, 5, 5, (6, 5, 7), 3, {'groups': 5, 'padding': 1}))
    A(conv_case(rng, 'conv3d depthwise mult2 c3->6 stride2', 3, 1, 3, 6, (7, 7, 7), 3, {'groups': 3, 'stride': 2}))
    A(conv_case(rng, 'conv3d c9->8 k1', 3, 1, 9, 8, (5, 4, 6), 1))
    A(conv_case(rng, 'conv3d valid', 3, 1, 2, 3, (6, 5, 6), (3, 2, 3), {'padding': 'valid'}))
    A(conv_case(rng, 'conv3d same k3', 3, 1, 3, 3, (5, 6, 5), 3, {'padding': 'same'}))
    A(conv_case(rng, 'conv3d same k (2,3,4)', 3, 1, 2, 3, (5, 6, 7), (2, 3, 4), {'padding': 'same'}))
    A(conv_case(rng, 'conv3d full k2', 3, 1, 2, 2, (4, 5, 4), 2, {'padding': 'full'}))
    A(conv_case(rng, 'conv3d pairs', 3, 1, 3, 2, (5, 6, 5), 3, {'padding': [[1, 0], [0, 2], [2, 1]]}))
    A(conv_case(rng, 'conv3d reflect pad1', 3, 1, 3, 4, (5, 6, 5), 3, {'padding': 1, 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv3d replicate [1,2,1]', 3, 1, 2, 3, (5, 6, 5), 3, {'padding': [1, 2, 1], 'paddingMode': 'replicate'}))
    A(conv_case(rng, 'conv3d circular pad1 stride2', 3, 1, 3, 3, (6, 5, 7), 3, {'padding': 1, 'paddingMode': 'circular', 'stride': 2}))
    A(conv_case(rng, 'conv3d constant 0.5', 3, 1, 2, 3, (5, 5, 6), 3, {'padding': 1, 'paddingMode': 'constant', 'paddingValue': 0.5}))
    A(conv_case(rng, 'conv3d same stride2', 3, 1, 3, 4, (7, 6, 5), 3, {'padding': 'same', 'stride': 2}))
    A(conv_case(rng, 'conv3d same stride [2,1,3] reflect', 3, 1, 2, 3, (6, 7, 8), (3, 2, 4), {'padding': 'same', 'stride': [2, 1, 3], 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv3d symmetric pad1', 3, 1, 3, 2, (5, 5, 6), 3, {'padding': 1, 'paddingMode': 'symmetric'}))
    A(conv_case(rng, 'conv3d partial pad1', 3, 1, 3, 4, (5, 6, 5), 3, {'padding': 1, 'paddingMode': 'partial'}))
    A(conv_case(rng, 'conv3d partial same stride2 nobias', 3, 1, 2, 3, (7, 6, 5), 3, {'padding': 'same', 'stride': 2, 'paddingMode': 'partial'}, bias=False))
    A(conv_case(rng, 'conv3d reflect wider than input (numpy)', 3, 1, 2, 2, (3, 2, 3), 3, {'padding': [3, 2, 1], 'paddingMode': 'reflect'}))
    A(conv_case(rng, 'conv3d circular wider than input (numpy)', 3, 1, 2, 2, (2, 3, 2), 3, {'padding': [3, 4, 2], 'paddingMode': 'circular'}))
    return C


# ----------------------------------------------------------------------------- conv transpose

def convt_case(rng, name, nd, N, Cin, Cout, sp, k, args=None, bias=True):
    args = dict(args or {})
    k = tup(k, nd)
    sp = tup(sp, nd)
    groups = args.get('groups', 1)
    stride = tup(args.get('stride', 1), nd)
    dil = tup(args.get('dilation', 1), nd)
    opad = tup(args.get('outputPadding', 0), nd)
    padding = args.get('padding', 0)
    x = randn(rng, N, Cin, *sp)
    w = (randn(rng, Cin, Cout // groups, *k) / np.float32(math.sqrt(Cin // groups * np.prod(k)))).astype(np.float32)
    b = randn(rng, Cout) if bias else None
    bt = t64(b) if b is not None else None
    reference = 'torch'
    convt = CONVT[nd]
    if 'outputSize' in args:
        pp = tuple(p for p, _ in pairs_of(padding, nd))
        m = CONVT_MOD[nd](Cin, Cout, k, stride=stride, padding=pp, dilation=dil, groups=groups,
                          bias=b is not None).double()
        with torch.no_grad():
            m.weight.copy_(t64(w))
            if b is not None:
                m.bias.copy_(bt)
            out = m(t64(x), output_size=list(args['outputSize']))
    elif padding == 'same':
        # SAME_UPPER for transposed conv (independent): output = input*stride;
        # total = d*(k-1)+1-s, before = floor(total/2); total < 0 extends with zeros(+bias).
        reference = 'independent'
        full = convt(t64(x), t64(w), None, stride, 0, 0, groups, dil)
        sl = [slice(None), slice(None)]
        ext = [(0, 0), (0, 0)]
        for i, kk, ss, dd in zip(sp, k, stride, dil):
            total = dd * (kk - 1) + 1 - ss
            if total >= 0:
                before = total // 2
                sl.append(slice(before, before + i * ss))
                ext.append((0, 0))
            else:
                sl.append(slice(None))
                ext.append((0, -total))
        out = np.pad(full[tuple(sl)].numpy(), ext)
        out = torch.from_numpy(out)
        if bt is not None:
            out = out + bt.view(1, -1, *([1] * nd))
        for d_, (i, ss) in enumerate(zip(sp, stride)):
            assert out.shape[2 + d_] == i * ss
    else:
        if padding == 'valid':
            pairs = [(0, 0)] * nd
        else:
            pairs = pairs_of(padding, nd)
        if all(b_ == a_ for b_, a_ in pairs):
            out = convt(t64(x), t64(w), bt, stride, tuple(p for p, _ in pairs), opad, groups, dil)
        else:
            # asymmetric: full transposed conv (+outputPadding at the end), then crop
            reference = 'independent'
            full = convt(t64(x), t64(w), bt, stride, 0, opad, groups, dil)
            sl = [slice(None), slice(None)]
            for (pb, pa), L in zip(pairs, full.shape[2:]):
                sl.append(slice(pb, L - pa))
            out = full[tuple(sl)]
    scale = max(maxabs(x) * maxabs(w), maxabs(b))
    red = (Cin // groups) * int(np.prod(k))
    return case(name, f'convTranspose{nd}d', x, w, b, args, f32(out), red, scale, reference)


def gen_conv_transpose():
    rng = rng_for('conv_transpose')
    C = []
    A = C.append
    # ---- 1d
    A(convt_case(rng, 'convT1d stride2 k3 bias', 1, 2, 3, 5, 7, 3, {'stride': 2}))
    A(convt_case(rng, 'convT1d stride1 k3 pad1 nobias', 1, 1, 5, 3, 9, 3, {'padding': 1}, bias=False))
    A(convt_case(rng, 'convT1d stride2 pad1 outputPadding1', 1, 2, 4, 3, 6, 3, {'stride': 2, 'padding': 1, 'outputPadding': 1}))
    A(convt_case(rng, 'convT1d stride3 k4 dil2 pad2', 1, 1, 3, 4, 5, 4, {'stride': 3, 'dilation': 2, 'padding': 2}))
    A(convt_case(rng, 'convT1d dil2 outputPadding1 (op<dilation)', 1, 1, 2, 3, 6, 3, {'dilation': 2, 'outputPadding': 1}))
    A(convt_case(rng, 'convT1d groups3 c9->6', 1, 2, 9, 6, 6, 3, {'groups': 3, 'stride': 2}))
    A(convt_case(rng, 'convT1d depthwise c7', 1, 1, 7, 7, 8, 5, {'groups': 7, 'stride': 2, 'padding': 2}))
    A(convt_case(rng, 'convT1d c12->9 k1', 1, 2, 12, 9, 6, 1))
    A(convt_case(rng, 'convT1d outputSize', 1, 1, 3, 4, 6, 3, {'stride': 3, 'padding': 1, 'outputSize': [17]}))
    A(convt_case(rng, 'convT1d pairs [[0,1]]', 1, 2, 3, 2, 6, 3, {'stride': 2, 'padding': [[0, 1]]}))
    A(convt_case(rng, 'convT1d pairs [[2,1]] outputPadding1', 1, 1, 3, 3, 5, 4, {'stride': 2, 'padding': [[2, 1]], 'outputPadding': 1}))
    A(convt_case(rng, 'convT1d valid', 1, 1, 3, 2, 5, 3, {'stride': 2, 'padding': 'valid'}))
    A(convt_case(rng, 'convT1d same stride2 k3', 1, 2, 3, 4, 6, 3, {'stride': 2, 'padding': 'same'}))
    A(convt_case(rng, 'convT1d same stride2 k4', 1, 1, 4, 3, 5, 4, {'stride': 2, 'padding': 'same'}))
    A(convt_case(rng, 'convT1d same stride1 k4 dil2', 1, 1, 3, 3, 7, 4, {'padding': 'same', 'dilation': 2}))
    A(convt_case(rng, 'convT1d same stride3 k1 (negative total)', 1, 1, 3, 2, 5, 1, {'stride': 3, 'padding': 'same'}))
    A(convt_case(rng, 'convT1d same stride4 k2 nobias (negative total)', 1, 2, 2, 3, 4, 2, {'stride': 4, 'padding': 'same'}, bias=False))
    # ---- 2d
    A(convt_case(rng, 'convT2d stride2 k3 bias', 2, 2, 3, 5, (5, 6), 3, {'stride': 2}))
    A(convt_case(rng, 'convT2d stride2 k4 pad1 (classic upsampler)', 2, 1, 8, 4, (6, 5), 4, {'stride': 2, 'padding': 1}))
    A(convt_case(rng, 'convT2d stride [2,3] pad [1,0] outputPadding [1,2]', 2, 2, 3, 4, (5, 4), 3, {'stride': [2, 3], 'padding': [1, 0], 'outputPadding': [1, 2]}))
    A(convt_case(rng, 'convT2d dil2 pad1 nobias', 2, 1, 4, 3, (6, 6), 3, {'dilation': 2, 'padding': 1}, bias=False))
    A(convt_case(rng, 'convT2d k (2,5) stride [1,2]', 2, 1, 3, 3, (5, 6), (2, 5), {'stride': [1, 2], 'padding': [0, 2]}))
    A(convt_case(rng, 'convT2d groups2 c6->4', 2, 1, 6, 4, (5, 5), 3, {'groups': 2, 'stride': 2, 'padding': 1}))
    A(convt_case(rng, 'convT2d depthwise c9', 2, 2, 9, 9, (4, 5), 3, {'groups': 9, 'stride': 2}))
    A(convt_case(rng, 'convT2d depthwise mult2 c4->8', 2, 1, 4, 8, (5, 4), 3, {'groups': 4, 'stride': 2, 'padding': 1, 'outputPadding': 1}))
    A(convt_case(rng, 'convT2d c5->12 k3', 2, 1, 5, 12, (4, 4), 3, {'padding': 1}))
    A(convt_case(rng, 'convT2d outputSize', 2, 1, 3, 2, (5, 4), 3, {'stride': 2, 'padding': 1, 'outputSize': [10, 8]}))
    A(convt_case(rng, 'convT2d outputSize stride3', 2, 1, 2, 3, (4, 5), (3, 4), {'stride': 3, 'outputSize': [13, 16]}))
    A(convt_case(rng, 'convT2d pairs [[0,1],[2,1]]', 2, 1, 3, 4, (5, 5), 3, {'stride': 2, 'padding': [[0, 1], [2, 1]]}))
    A(convt_case(rng, 'convT2d pairs [[1,2],[0,0]] outputPadding [1,0] dil2', 2, 1, 2, 3, (4, 5), 3, {'stride': 2, 'dilation': 2, 'padding': [[1, 2], [0, 0]], 'outputPadding': [1, 0]}))
    A(convt_case(rng, 'convT2d same stride2 k3', 2, 2, 3, 4, (5, 6), 3, {'stride': 2, 'padding': 'same'}))
    A(convt_case(rng, 'convT2d same stride2 k4', 2, 1, 3, 3, (4, 5), 4, {'stride': 2, 'padding': 'same'}))
    A(convt_case(rng, 'convT2d same stride [2,1] k3', 2, 1, 3, 2, (5, 4), 3, {'stride': [2, 1], 'padding': 'same'}))
    A(convt_case(rng, 'convT2d same stride3 k2 (negative total)', 2, 1, 2, 3, (4, 3), 2, {'stride': 3, 'padding': 'same'}))
    A(convt_case(rng, 'convT2d same stride [3,2] k [5,1] groups2', 2, 1, 4, 2, (4, 5), (5, 1), {'stride': [3, 2], 'padding': 'same', 'groups': 2}))
    # ---- 3d
    A(convt_case(rng, 'convT3d stride2 k3 bias', 3, 1, 3, 4, (4, 3, 5), 3, {'stride': 2}))
    A(convt_case(rng, 'convT3d stride2 pad1 outputPadding1', 3, 2, 2, 3, (3, 4, 3), 3, {'stride': 2, 'padding': 1, 'outputPadding': 1}))
    A(convt_case(rng, 'convT3d dil2 nobias', 3, 1, 3, 2, (4, 4, 3), (3, 2, 3), {'dilation': 2, 'padding': 1}, bias=False))
    A(convt_case(rng, 'convT3d groups2 c4->6', 3, 1, 4, 6, (3, 4, 4), 3, {'groups': 2, 'stride': [1, 2, 2], 'padding': 1}))
    A(convt_case(rng, 'convT3d depthwise c5', 3, 1, 5, 5, (4, 3, 4), 3, {'groups': 5, 'stride': 2}))
    A(convt_case(rng, 'convT3d outputSize', 3, 1, 2, 3, (3, 4, 3), 3, {'stride': 2, 'padding': 1, 'outputSize': [6, 8, 5]}))
    A(convt_case(rng, 'convT3d pairs', 3, 1, 3, 2, (3, 4, 4), 3, {'stride': 2, 'padding': [[1, 0], [0, 2], [1, 1]]}))
    A(convt_case(rng, 'convT3d same stride2 k3', 3, 1, 3, 3, (3, 4, 3), 3, {'stride': 2, 'padding': 'same'}))
    A(convt_case(rng, 'convT3d same stride [1,2,3] k [2,4,1]', 3, 1, 2, 3, (4, 3, 3), (2, 4, 1), {'stride': [1, 2, 3], 'padding': 'same'}))
    return C


# ----------------------------------------------------------------------------- partial conv

def nvidia_partial(x, mask, w, b, nd, stride, padding, dil, groups, multi):
    """NVIDIA PartialConv{2,3}d forward (github.com/NVIDIA/partialconv), float64."""
    conv = CONV[nd]
    Cout = w.shape[0]
    Cin = x.shape[1]
    k = tuple(w.shape[2:])
    if multi:
        upd_w = torch.ones((Cout, Cin) + k, dtype=torch.float64)
    else:
        upd_w = torch.ones((1, 1) + k, dtype=torch.float64)
    slide = float(np.prod(upd_w.shape[1:]))
    with torch.no_grad():
        upd = conv(mask, upd_w, None, stride, padding, dil, 1)
        ratio = slide / (upd + 1e-8)
        upd = torch.clamp(upd, 0, 1)
        ratio = ratio * upd
    raw = conv(x * mask, w, b, stride, padding, dil, groups)
    if b is not None:
        bv = b.view(1, Cout, *([1] * nd))
        out = (raw - bv) * ratio + bv
        out = out * upd
    else:
        out = raw * ratio
    return out, upd, ratio


def pconv_case(rng, name, nd, N, Cin, Cout, sp, k, args=None, bias=True, mask_kind='binary', p_hole=0.35):
    args = dict(args or {})
    k = tup(k, nd)
    sp = tup(sp, nd)
    groups = args.get('groups', 1)
    stride = tup(args.get('stride', 1), nd)
    dil = tup(args.get('dilation', 1), nd)
    padding = args.get('padding', 0)
    multi = bool(args.get('multiChannel', False))
    x = randn(rng, N, Cin, *sp)
    w = (randn(rng, Cout, Cin // groups, *k) / np.float32(math.sqrt(Cin // groups * np.prod(k)))).astype(np.float32)
    b = randn(rng, Cout) if bias else None
    mc = Cin if multi else 1
    if mask_kind == 'binary':
        mask = (rng.uniform(size=(N, mc) + sp) >= p_hole).astype(np.float32)
        # a hole block so that some windows see no valid pixel at all
        blk = tuple(slice(1, 1 + max(2, (kk - 1) * dd + 2)) for kk, dd in zip(k, dil))
        mask[(0, slice(None)) + blk] = 0
    elif mask_kind == 'fractional':
        mask = rng.uniform(0.25, 1.0, size=(N, mc) + sp).astype(np.float32)
        mask[rng.uniform(size=mask.shape) < 0.3] = 0
        mask = np.round(mask * 64) / 64  # exactly representable fractions
        mask = mask.astype(np.float32)
    elif mask_kind == 'ones':
        mask = np.ones((N, mc) + sp, dtype=np.float32)
    else:
        raise ValueError(mask_kind)
    reference = 'torch'
    xt, mt = t64(x), t64(mask)
    if padding == 'same':
        pairs = same_upper_pairs(sp, k, stride, dil)
    elif padding == 'valid':
        pairs = [(0, 0)] * nd
    elif padding == 'full':
        pairs = [(dd * (kk - 1),) * 2 for kk, dd in zip(k, dil)]
    else:
        pairs = pairs_of(padding, nd)
    if all(b_ == a_ for b_, a_ in pairs):
        pt = tuple(p for p, _ in pairs)
    else:
        tp = torch_pad_tuple(pairs)
        xt = F.pad(xt, tp)
        mt = F.pad(mt, tp)
        pt = 0
    out, upd, ratio = nvidia_partial(xt, mt, t64(w), t64(b) if b is not None else None, nd,
                                     stride, pt, dil, groups, multi)
    if multi:
        assert upd.shape[1] == Cout
    red = Cin * int(np.prod(k)) if multi else (Cin // groups) * int(np.prod(k))
    scale = max(maxabs(x * mask) * maxabs(w) * float(ratio.max()), maxabs(b))
    return case(name, f'partialConv{nd}d', x, w, b, args, f32(out), red, scale, reference,
                mask=mask, expected_mask=f32(upd))


def gen_partial_conv():
    rng = rng_for('partial_conv')
    C = []
    A = C.append
    A(pconv_case(rng, 'pconv2d single-mask k3 pad1 bias', 2, 2, 3, 5, (9, 10), 3, {'padding': 1}))
    A(pconv_case(rng, 'pconv2d single-mask k3 pad1 nobias', 2, 2, 3, 4, (8, 9), 3, {'padding': 1}, bias=False))
    A(pconv_case(rng, 'pconv2d single-mask k5 stride2 pad2', 2, 1, 4, 6, (11, 12), 5, {'stride': 2, 'padding': 2}))
    A(pconv_case(rng, 'pconv2d single-mask dil2 pad2', 2, 2, 3, 3, (10, 9), 3, {'dilation': 2, 'padding': 2}))
    A(pconv_case(rng, 'pconv2d single-mask k7 stride2 pad3 (inpainting layer 1)', 2, 1, 3, 8, (12, 13), 7, {'stride': 2, 'padding': 3}))
    A(pconv_case(rng, 'pconv2d single-mask no padding', 2, 1, 5, 3, (8, 8), 3))
    A(pconv_case(rng, 'pconv2d single-mask pad [1,2] k (3,5)', 2, 1, 3, 4, (7, 9), (3, 5), {'padding': [1, 2]}))
    A(pconv_case(rng, 'pconv2d single-mask pairs [[0,2],[1,0]]', 2, 1, 3, 4, (7, 8), 3, {'padding': [[0, 2], [1, 0]]}))
    A(pconv_case(rng, 'pconv2d single-mask same k4', 2, 1, 3, 4, (8, 7), 4, {'padding': 'same'}))
    A(pconv_case(rng, 'pconv2d single-mask groups3', 2, 1, 6, 9, (7, 8), 3, {'padding': 1, 'groups': 3}))
    A(pconv_case(rng, 'pconv2d single-mask all ones mask', 2, 1, 3, 4, (7, 7), 3, {'padding': 1}, mask_kind='ones'))
    A(pconv_case(rng, 'pconv2d single-mask mostly holes', 2, 1, 3, 4, (9, 9), 3, {'padding': 1, 'stride': 2}, p_hole=0.8))
    A(pconv_case(rng, 'pconv2d single-mask fractional', 2, 2, 3, 4, (8, 9), 3, {'padding': 1}, mask_kind='fractional'))
    A(pconv_case(rng, 'pconv2d multi-channel k3 pad1 bias', 2, 2, 4, 6, (8, 9), 3, {'padding': 1, 'multiChannel': True}))
    A(pconv_case(rng, 'pconv2d multi-channel stride2 nobias', 2, 1, 3, 5, (9, 10), 3, {'padding': 1, 'stride': 2, 'multiChannel': True}, bias=False))
    A(pconv_case(rng, 'pconv2d multi-channel dil2', 2, 1, 5, 3, (9, 9), 3, {'padding': 2, 'dilation': 2, 'multiChannel': True}))
    A(pconv_case(rng, 'pconv2d multi-channel fractional', 2, 1, 3, 4, (8, 8), 3, {'padding': 1, 'multiChannel': True}, mask_kind='fractional'))
    A(pconv_case(rng, 'pconv2d multi-channel groups2 (mask update over all Cin)', 2, 1, 4, 6, (7, 8), 3, {'padding': 1, 'groups': 2, 'multiChannel': True}))
    A(pconv_case(rng, 'pconv3d single-mask k3 pad1 bias', 3, 1, 3, 4, (6, 7, 5), 3, {'padding': 1}))
    A(pconv_case(rng, 'pconv3d single-mask stride2 nobias', 3, 2, 2, 3, (7, 6, 7), 3, {'padding': 1, 'stride': 2}, bias=False))
    A(pconv_case(rng, 'pconv3d single-mask dil2', 3, 1, 2, 3, (7, 7, 6), 3, {'padding': 2, 'dilation': 2}))
    A(pconv_case(rng, 'pconv3d single-mask fractional', 3, 1, 3, 2, (5, 6, 5), 3, {'padding': 1}, mask_kind='fractional'))
    A(pconv_case(rng, 'pconv3d multi-channel k3 pad1', 3, 1, 3, 4, (5, 6, 6), 3, {'padding': 1, 'multiChannel': True}))
    A(pconv_case(rng, 'pconv3d multi-channel stride2 nobias', 3, 1, 2, 3, (6, 7, 5), 3, {'padding': 1, 'stride': 2, 'multiChannel': True}, bias=False))
    return C


# ----------------------------------------------------------------------------- pad

def pad_case(rng, name, nd, N, C, sp, padding, mode, value=None, x=None):
    sp = tup(sp, nd)
    if x is None:
        x = randn(rng, N, C, *sp)
    pairs = pairs_of(padding, nd)
    args = {'padding': padding, 'mode': mode}
    if value is not None:
        args['value'] = value
    reference = 'torch'
    torch_ok = mode in ('constant', 'reflect', 'replicate', 'circular')
    if mode == 'reflect' and any(max(b_, a_) > i - 1 for (b_, a_), i in zip(pairs, sp)):
        torch_ok = False
    if mode == 'circular' and any(max(b_, a_) > i for (b_, a_), i in zip(pairs, sp)):
        torch_ok = False
    if torch_ok:
        kw = {'value': float(value or 0.0)} if mode == 'constant' else {}
        out = F.pad(torch.from_numpy(x), torch_pad_tuple(pairs), mode=mode, **kw)
    else:
        assert all(b_ >= 0 and a_ >= 0 for b_, a_ in pairs), name
        reference = 'independent'
        out = np_pad(x, pairs, mode, float(value or 0.0))
    return case(name, 'pad', x, None, None, args, f32(out), 1, maxabs(x, [value or 0.0]), reference)


def gen_pad():
    rng = rng_for('pad')
    C = []
    A = C.append
    for mode in ('constant', 'reflect', 'replicate', 'circular', 'symmetric'):
        val = 2.5 if mode == 'constant' else None
        A(pad_case(rng, f'pad1d {mode} 2', 1, 2, 3, 7, 2, mode, val))
        A(pad_case(rng, f'pad1d {mode} pairs [[3,1]]', 1, 1, 2, 6, [[3, 1]], mode, val))
        A(pad_case(rng, f'pad2d {mode} [1,2]', 2, 2, 3, (5, 6), [1, 2], mode, val))
        A(pad_case(rng, f'pad2d {mode} pairs [[0,3],[2,1]]', 2, 1, 5, (6, 5), [[0, 3], [2, 1]], mode, val))
        A(pad_case(rng, f'pad3d {mode} 1', 3, 1, 2, (4, 5, 3), 1, mode, val))
        A(pad_case(rng, f'pad3d {mode} pairs', 3, 1, 3, (4, 5, 6), [[2, 0], [1, 3], [0, 2]], mode, val))
        # wider than the input (numpy.pad semantics; torch refuses reflect/circular)
        A(pad_case(rng, f'pad1d {mode} wider than input', 1, 1, 2, 3, [[7, 5]], mode, val))
        A(pad_case(rng, f'pad2d {mode} wider than input', 2, 1, 2, (3, 2), [[4, 6], [5, 3]], mode, val))
        A(pad_case(rng, f'pad3d {mode} wider than input', 3, 1, 1, (2, 3, 2), [[3, 2], [4, 1], [2, 5]], mode, val))
    # multi-cycle, asymmetric: periodic extension (numpy >= 2.1; numpy 1.24 differs, see src_index)
    A(pad_case(rng, 'pad1d reflect multi-cycle [[1,9]]', 1, 1, 2, 3, [[1, 9]], 'reflect'))
    A(pad_case(rng, 'pad1d reflect multi-cycle [[13,2]]', 1, 1, 1, 4, [[13, 2]], 'reflect'))
    A(pad_case(rng, 'pad1d symmetric multi-cycle [[11,2]]', 1, 1, 2, 3, [[11, 2]], 'symmetric'))
    A(pad_case(rng, 'pad1d symmetric multi-cycle [[0,12]]', 1, 1, 1, 4, [[0, 12]], 'symmetric'))
    A(pad_case(rng, 'pad1d circular multi-cycle [[4,1]]', 1, 1, 2, 3, [[4, 1]], 'circular'))
    A(pad_case(rng, 'pad1d circular multi-cycle [[2,9]]', 1, 1, 1, 4, [[2, 9]], 'circular'))
    A(pad_case(rng, 'pad2d reflect multi-cycle [[2,10],[9,1]]', 2, 1, 2, (3, 4), [[2, 10], [9, 1]], 'reflect'))
    A(pad_case(rng, 'pad2d circular multi-cycle [[7,0],[1,6]]', 2, 1, 1, (3, 2), [[7, 0], [1, 6]], 'circular'))
    A(pad_case(rng, 'pad2d symmetric multi-cycle [[1,8],[9,2]]', 2, 1, 1, (2, 3), [[1, 8], [9, 2]], 'symmetric'))
    A(pad_case(rng, 'pad2d constant default value', 2, 2, 3, (4, 5), [[1, 2], [0, 3]], 'constant'))
    A(pad_case(rng, 'pad2d constant value -1', 2, 1, 7, (5, 5), 2, 'constant', -1.0))
    A(pad_case(rng, 'pad2d constant 0 padding', 2, 1, 2, (3, 4), 0, 'constant', 3.0))
    # negative padding: crops (torch semantics; circular crops first then wraps)
    for mode in ('constant', 'reflect', 'replicate', 'circular'):
        val = -3.0 if mode == 'constant' else None
        A(pad_case(rng, f'pad1d {mode} negative [[-2,-1]]', 1, 2, 2, 8, [[-2, -1]], mode, val))
        A(pad_case(rng, f'pad1d {mode} mixed [[-2,3]]', 1, 1, 3, 7, [[-2, 3]], mode, val))
        A(pad_case(rng, f'pad2d {mode} mixed [[1,-2],[-1,2]]', 2, 1, 2, (5, 6), [[1, -2], [-1, 2]], mode, val))
        A(pad_case(rng, f'pad2d {mode} negative -1', 2, 2, 3, (5, 6), -1, mode, val))
        A(pad_case(rng, f'pad3d {mode} mixed', 3, 1, 2, (4, 5, 6), [[-1, 1], [2, -2], [-3, 1]], mode, val))
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    A(pad_case(rng, 'ReflectionPad2d(2) of arange(9) 3x3', 2, 1, 1, (3, 3), 2, 'reflect', x=x))
    return C


# ----------------------------------------------------------------------------- interpolate

def interp_case(rng, name, nd, N, C, sp, mode, size=None, scale=None, align=None, recompute=None, x=None):
    sp = tup(sp, nd)
    if x is None:
        x = randn(rng, N, C, *sp)
    args = {'mode': mode}
    kw = {}
    if size is not None:
        args['size'] = list(size)
        kw['size'] = list(size)
    if scale is not None:
        args['scaleFactor'] = scale
        kw['scale_factor'] = scale
    if align is not None:
        args['alignCorners'] = align
        kw['align_corners'] = align
    if recompute is not None:
        args['recomputeScaleFactor'] = recompute
        kw['recompute_scale_factor'] = recompute
    out = F.interpolate(torch.from_numpy(x), mode=mode, **kw)
    out_sp = out.shape[2:]
    if mode in ('nearest', 'nearest-exact'):
        red, wsum = 1, 1.0
    elif mode in ('linear', 'bilinear', 'trilinear'):
        red, wsum = 2 ** nd, 1.0
    elif mode == 'bicubic':
        red, wsum = 4 ** nd, 1.5 ** nd  # |cubic weights| sum to <= 1.375 per dim (A=-0.75)
    elif mode == 'area':
        red = int(np.prod([math.ceil(i / o) + 1 for i, o in zip(sp, out_sp)]))
        wsum = 1.0
    return case(name, 'interpolate', x, None, None, args, f32(out), red, maxabs(x) * wsum, 'torch')


def gen_interpolate():
    rng = rng_for('interpolate')
    C = []
    A = C.append
    rank_modes = {1: ['nearest', 'nearest-exact', 'linear', 'area'],
                  2: ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'],
                  3: ['nearest', 'nearest-exact', 'trilinear', 'area']}
    shapes = {1: (2, 3, 7), 2: (2, 3, (5, 7)), 3: (1, 2, (4, 5, 3))}
    sizes = {1: [[13], [4], [7], [20]], 2: [[9, 12], [3, 4], [7, 5], [11, 3]], 3: [[7, 9, 5], [2, 3, 2], [5, 4, 6]]}
    scales = [2, 3, 1.5, 0.6, 2.3, 0.5]
    per_dim_scales = {1: [[1.7]], 2: [[1.5, 0.6], [2.0, 3.0]], 3: [[2.0, 1.5, 0.6]]}
    for nd in (1, 2, 3):
        N, Cc, sp = shapes[nd]
        for mode in rank_modes[nd]:
            linear = mode in ('linear', 'bilinear', 'bicubic', 'trilinear')
            aligns = [False, True] if linear else [None]
            for align in aligns:
                at = '' if align is None else f' alignCorners={str(align).lower()}'
                for size in sizes[nd]:
                    A(interp_case(rng, f'interp{nd}d {mode}{at} size {size}', nd, N, Cc, sp, mode, size=size, align=align))
                for s in scales:
                    for rc in ([False, True] if mode != 'area' else [None]):
                        rct = '' if rc is None else f' recompute={str(rc).lower()}'
                        A(interp_case(rng, f'interp{nd}d {mode}{at} scale {s}{rct}', nd, N, Cc, sp, mode, scale=s, align=align, recompute=rc))
                for s in per_dim_scales[nd]:
                    A(interp_case(rng, f'interp{nd}d {mode}{at} scale {s}', nd, N, Cc, sp, mode, scale=s, align=align))
            # default scale recompute (None) for one fractional case
    # a few larger / odd-sized ones
    A(interp_case(rng, 'interp2d bilinear scale 2.3 (13x11 input)', 2, 1, 5, (13, 11), 'bilinear', scale=2.3, align=False))
    A(interp_case(rng, 'interp2d bicubic size [4,5] downsample 13x11', 2, 1, 3, (13, 11), 'bicubic', size=[4, 5], align=False))
    A(interp_case(rng, 'interp2d nearest scale 0.3 13x11', 2, 1, 3, (13, 11), 'nearest', scale=0.3))
    A(interp_case(rng, 'interp2d nearest-exact scale 0.3 13x11', 2, 1, 3, (13, 11), 'nearest-exact', scale=0.3))
    A(interp_case(rng, 'interp2d area size [4,3] 13x11', 2, 1, 3, (13, 11), 'area', size=[4, 3]))
    A(interp_case(rng, 'interp2d area scale 1.5 c12', 2, 1, 12, (5, 6), 'area', scale=1.5))
    A(interp_case(rng, 'interp3d trilinear scale [1.5,2,0.6] alignCorners=true', 3, 1, 3, (4, 5, 6), 'trilinear', scale=[1.5, 2.0, 0.6], align=True))
    # scale factors whose output size is exactly 1x or 2x the input (torch 1.13 CPU,
    # contiguous NC... tensors): nearest / nearest-exact / bicubic honour the given factor
    # (e.g. floor(i / 1.2)); linear / bilinear / trilinear copy a dim whose output size
    # equals its input size (compute_source_index_and_lambda's shortcut) and honour the
    # factor otherwise.  Only torch's channels-last nearest kernel uses the legacy
    # nearest_idx shortcuts (copy at 1x, i >> 1 at 2x); the reference is the contiguous call.
    A(interp_case(rng, 'interp1d nearest scale 1.2 (output size == input size)', 1, 1, 2, 4, 'nearest', scale=1.2))
    A(interp_case(rng, 'interp1d nearest scale 2.3 (output size == 2x input)', 1, 1, 2, 3, 'nearest', scale=2.3))
    A(interp_case(rng, 'interp2d nearest scale [2.3,1.2] (2x and 1x sizes)', 2, 2, 3, (3, 4), 'nearest', scale=[2.3, 1.2]))
    A(interp_case(rng, 'interp3d nearest scale [1.2,2.1,2.3] (1x, 2x, 2x sizes)', 3, 1, 2, (4, 5, 3), 'nearest', scale=[1.2, 2.1, 2.3]))
    A(interp_case(rng, 'interp2d nearest-exact scale [2.3,1.2] (2x and 1x sizes)', 2, 1, 3, (3, 4), 'nearest-exact', scale=[2.3, 1.2]))
    A(interp_case(rng, 'interp2d bilinear scale [2.3,1.2] (2x and 1x sizes)', 2, 1, 3, (3, 4), 'bilinear', scale=[2.3, 1.2], align=False))
    A(interp_case(rng, 'interp1d linear scale 1.2 (output size == input size)', 1, 1, 2, 4, 'linear', scale=1.2, align=False))
    A(interp_case(rng, 'interp1d linear alignCorners=true scale 1.2 (output size == input size)', 1, 1, 2, 4, 'linear', scale=1.2, align=True))
    A(interp_case(rng, 'interp3d trilinear scale [1.2,2.3,1.2] (1x and 2x sizes)', 3, 1, 2, (4, 3, 4), 'trilinear', scale=[1.2, 2.3, 1.2], align=False))
    A(interp_case(rng, 'interp2d bicubic scale 1.2 (output size == input size)', 2, 1, 2, (4, 4), 'bicubic', scale=1.2, align=False))
    A(interp_case(rng, 'interp1d nearest-exact scale 1.2 (output size == input size)', 1, 1, 2, 4, 'nearest-exact', scale=1.2))
    x = np.array([[1, 2], [3, 4]], dtype=np.float32).reshape(1, 1, 2, 2)
    A(interp_case(rng, 'Upsample(scale_factor=2, nearest) of [[1,2],[3,4]]', 2, 1, 1, (2, 2), 'nearest', scale=2, x=x))
    # Rows wide enough that downscales by 2 read 48-float windows (AVX-512 kind-3 blocks:
    # 3-4 taps over 2 inputs per output, or channels-last rows of 3-4 interleaved floats).
    A(interp_case(rng, 'interp2d bicubic scale 0.5 wide rows 6x120', 2, 1, 2, (6, 120), 'bicubic', scale=0.5, align=False))
    A(interp_case(rng, 'interp2d bicubic size [3,37] wide rows 6x100', 2, 1, 3, (6, 100), 'bicubic', size=[3, 37], align=False))
    A(interp_case(rng, 'interp2d bilinear scale 0.5 wide rows 4x130 c3', 2, 1, 3, (4, 130), 'bilinear', scale=0.5, align=False))
    A(interp_case(rng, 'interp2d area scale 0.5 wide rows 4x96 c4', 2, 1, 4, (4, 96), 'area', scale=0.5))
    A(interp_case(rng, 'interp1d linear scale 0.45 wide rows 200', 1, 2, 2, 200, 'linear', scale=0.45, align=False))
    return C


# ----------------------------------------------------------------------------- examples

def gen_examples():
    C = []
    A = C.append
    rng = rng_for('examples')
    # 1. ReflectionPad2d(2) of arange(9) as 3x3
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    out = nn.ReflectionPad2d(2)(torch.from_numpy(x))
    A(case('ReflectionPad2d(2) of arange(9) 3x3', 'pad', x, None, None, {'padding': 2, 'mode': 'reflect'},
           f32(out), 1, 8.0, 'torch'))
    # 2. nearest Upsample(scale_factor=2) of [[1,2],[3,4]]
    x = np.array([[1, 2], [3, 4]], dtype=np.float32).reshape(1, 1, 2, 2)
    out = nn.Upsample(scale_factor=2, mode='nearest')(torch.from_numpy(x))
    A(case('Upsample(scale_factor=2, nearest) of [[1,2],[3,4]]', 'interpolate', x, None, None,
           {'scaleFactor': 2, 'mode': 'nearest'}, f32(out), 1, 4.0, 'torch'))
    # 3. conv2d arange(16) 4x4 with a 3x3 box of ones -> [[45,54],[81,90]]
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 3, 3), dtype=np.float32)
    out = F.conv2d(torch.from_numpy(x), torch.from_numpy(w))
    A(case('conv2d box3x3 of arange(16) 4x4', 'conv2d', x, w, None, {}, f32(out), 9, 15.0, 'torch'))
    # 4. conv1d [1..5] with [1,0,-1], padding 1 -> [-2,-2,-2,-2,4]
    x = np.arange(1, 6, dtype=np.float32).reshape(1, 1, 5)
    w = np.array([1, 0, -1], dtype=np.float32).reshape(1, 1, 3)
    out = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
    A(case('conv1d [1..5] * [1,0,-1] padding 1', 'conv1d', x, w, None, {'padding': 1}, f32(out), 3, 5.0, 'torch'))
    # 5. convTranspose1d [1,2,3] with [1,1], stride 2 -> [1,1,2,2,3,3]
    x = np.array([1, 2, 3], dtype=np.float32).reshape(1, 1, 3)
    w = np.array([1, 1], dtype=np.float32).reshape(1, 1, 2)
    out = F.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), stride=2)
    A(case('convTranspose1d [1,2,3] * [1,1] stride 2', 'convTranspose1d', x, w, None, {'stride': 2}, f32(out), 2, 3.0, 'torch'))
    # 6. circular pad 1-D [1,2,3] by 2 -> [2,3,1,2,3,1,2]
    x = np.array([1, 2, 3], dtype=np.float32).reshape(1, 1, 3)
    out = F.pad(torch.from_numpy(x), (2, 2), mode='circular')
    A(case('circular pad 2 of [1,2,3]', 'pad', x, None, None, {'padding': 2, 'mode': 'circular'}, f32(out), 1, 3.0, 'torch'))
    # 7. symmetric pad 1-D [1,2,3] by 2 -> [2,1,1,2,3,3,2] (numpy.pad symmetric)
    out = np_pad(x, [(2, 2)], 'symmetric')
    A(case('symmetric pad 2 of [1,2,3]', 'pad', x, None, None, {'padding': 2, 'mode': 'symmetric'}, f32(out), 1, 3.0, 'independent'))
    # 8. reflect pad wider than input: [1,2,3] by 5 -> [2,1,2,3,2, 1,2,3, 2,1,2,3,2] (period 4)
    out = np_pad(x, [(5, 5)], 'reflect')
    A(case('reflect pad 5 of [1,2,3] (numpy.pad)', 'pad', x, None, None, {'padding': 5, 'mode': 'reflect'}, f32(out), 1, 3.0, 'independent'))
    # 9. bilinear alignCorners of [[0,1],[2,3]] to 3x3 -> [[0,.5,1],[1,1.5,2],[2,2.5,3]]
    x = np.array([[0, 1], [2, 3]], dtype=np.float32).reshape(1, 1, 2, 2)
    out = F.interpolate(torch.from_numpy(x), size=[3, 3], mode='bilinear', align_corners=True)
    A(case('bilinear alignCorners [[0,1],[2,3]] -> 3x3', 'interpolate', x, None, None,
           {'size': [3, 3], 'mode': 'bilinear', 'alignCorners': True}, f32(out), 4, 3.0, 'torch'))
    # 10. partial padding: ones(5) * ones(3), padding 1 -> all 3 (edges: 2 taps * 3/2)
    x = np.ones((1, 1, 5), dtype=np.float32)
    w = np.ones((1, 1, 3), dtype=np.float32)
    out = np.full((1, 1, 5), 3.0, dtype=np.float32)
    A(case('conv1d partial padding of ones(5) * ones(3)', 'conv1d', x, w, None, {'padding': 1, 'paddingMode': 'partial'},
           out, 3, 1.5, 'independent'))
    # 11. 'same' stride 2 on 1x1x5 ones, k3 ones: TF rule total = 2*2+3-5 = 2 -> (1,1): [2,3,2]
    x = np.ones((1, 1, 5), dtype=np.float32)
    out = F.conv1d(F.pad(torch.from_numpy(x), (1, 1)), torch.from_numpy(w), stride=2)
    A(case("conv1d 'same' stride 2 of ones(5) * ones(3)", 'conv1d', x, w, None, {'padding': 'same', 'stride': 2},
           f32(out), 3, 1.0, 'independent'))
    # 12. partialConv2d: 3x3 ones input, mask with center hole, 3x3 ones kernel, padding 1
    x = np.ones((1, 1, 3, 3), dtype=np.float32)
    m = np.ones((1, 1, 3, 3), dtype=np.float32)
    m[0, 0, 1, 1] = 0
    w = np.ones((1, 1, 3, 3), dtype=np.float32)
    out, upd, _ = nvidia_partial(t64(x), t64(m), t64(w), None, 2, (1, 1), (1, 1), (1, 1), 1, False)
    A(case('partialConv2d ones 3x3 with center hole', 'partialConv2d', x, w, None, {'padding': 1}, f32(out), 9, 9.0 / 3,
           'torch', mask=m, expected_mask=f32(upd)))
    return C


# ----------------------------------------------------------------------------- main

def write(family, cases):
    names = [c['name'] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, dup
    path = os.path.join(OUT, f'{family}.json')
    with open(path, 'w') as f:
        f.write('{"family": %s, "generator": "test/golden/generate.py", "torch": %s, "numpy": %s, "cases": [\n'
                % (json.dumps(family), json.dumps(torch.__version__), json.dumps(np.__version__)))
        f.write(',\n'.join(json.dumps(c, separators=(',', ':')) for c in cases))
        f.write('\n]}\n')
    size = os.path.getsize(path)
    refs = {}
    for c in cases:
        refs[c['reference']] = refs.get(c['reference'], 0) + 1
    print(f'{family:16s} {len(cases):4d} cases {size / 1024:8.1f} KiB  {refs}')
    return size


def main():
    total = 0
    total += write('conv', gen_conv())
    total += write('conv_transpose', gen_conv_transpose())
    total += write('partial_conv', gen_partial_conv())
    total += write('pad', gen_pad())
    total += write('interpolate', gen_interpolate())
    total += write('examples', gen_examples())
    print(f'total {total / 1024 / 1024:.2f} MiB')
    if NUMPY_124_DIFFS:
        print(f'note: numpy {np.__version__} np.pad differs from the periodic definition (known numpy bugs '
              f'#22464/#25926, fixed upstream) for {len(NUMPY_124_DIFFS)} padding calls:')
        for d in NUMPY_124_DIFFS:
            print('   ', d)
    if total > 4 * 1024 * 1024:
        print('warning: fixtures exceed 4 MiB', file=sys.stderr)


if __name__ == '__main__':
    main()
