#!/usr/bin/python3
"""Cross-check of the golden fixtures against a second, naive implementation.

    /usr/bin/python3 test/golden/verify.py

Decodes every conv / conv_transpose / partial_conv / pad / examples case and recomputes
it from the stored *convkit arguments* with a direct float64 numpy implementation that
shares no code with generate.py (explicit index maps for every padding mode, tap loops
for convolution, scatter for transposed convolution).  This catches a generator that
computed something different from what its `args` say.  Interpolate cases are F.interpolate
called with the same arguments and are not re-derived here.
"""
import base64
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def dec(t):
    a = np.frombuffer(base64.b64decode(t['data']), dtype='<f4').astype(np.float64)
    return a.reshape(t['shape'])


def dec_vec(s):
    return np.frombuffer(base64.b64decode(s), dtype='<f4').astype(np.float64)


def per_dim(v, nd, default):
    if v is None:
        v = default
    if isinstance(v, list):
        return [int(x) for x in v]
    return [int(v)] * nd


# ---- index maps (numpy.pad semantics, any width) -------------------------------------

def src_index(p, n, mode):
    if 0 <= p < n:
        return p
    if mode in ('zeros', 'constant', 'partial'):
        return -1
    if mode == 'replicate':
        return min(max(p, 0), n - 1)
    if mode == 'circular':
        return p % n
    if mode == 'reflect':
        if n == 1:
            return 0
        q = p % (2 * (n - 1))
        return q if q < n else 2 * (n - 1) - q
    if mode == 'symmetric':
        q = p % (2 * n)
        return q if q < n else 2 * n - 1 - q
    raise ValueError(mode)


def pad_nd(x, pairs, mode, value=0.0):
    """Pad the trailing len(pairs) axes of x; -1 entries become `value`."""
    out = x
    nd = len(pairs)
    for d, (b, a) in enumerate(pairs):
        ax = x.ndim - nd + d
        n = out.shape[ax]
        idx = np.array([src_index(p, n, mode) for p in range(-b, n + a)], dtype=np.int64)
        taken = np.take(out, np.where(idx < 0, 0, idx), axis=ax)
        shape = [1] * out.ndim
        shape[ax] = len(idx)
        taken = np.where(idx.reshape(shape) < 0, value, taken)
        out = taken
    return out


def conv_pairs(padding, sp, k, s, d):
    nd = len(sp)
    if padding == 'valid':
        return [(0, 0)] * nd
    if padding == 'full':
        return [(dd * (kk - 1),) * 2 for kk, dd in zip(k, d)]
    if padding == 'same':
        out = []
        for i, kk, ss, dd in zip(sp, k, s, d):
            o = -(-i // ss)
            tot = max((o - 1) * ss + dd * (kk - 1) + 1 - i, 0)
            out.append((tot // 2, tot - tot // 2))
        return out
    if isinstance(padding, list):
        return [(p[0], p[1]) if isinstance(p, list) else (p, p) for p in padding]
    return [(int(padding), int(padding))] * nd


def direct_conv(xp, w, s, d, groups):
    """Valid convolution of an already padded input, tap by tap."""
    N, Cin = xp.shape[:2]
    Cout = w.shape[0]
    k = w.shape[2:]
    nd = len(k)
    sp = xp.shape[2:]
    osz = [(sp[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    out = np.zeros((N, Cout) + tuple(osz))
    cig = Cin // groups
    cog = Cout // groups
    for tap in np.ndindex(*k):
        sl = tuple(slice(tap[i] * d[i], tap[i] * d[i] + (osz[i] - 1) * s[i] + 1, s[i]) for i in range(nd))
        patch = xp[(slice(None), slice(None)) + sl]  # N, Cin, osz...
        for g in range(groups):
            wg = w[g * cog:(g + 1) * cog, :, ][(slice(None), slice(None)) + tap]  # cog, cig
            pg = patch[:, g * cig:(g + 1) * cig]
            out[:, g * cog:(g + 1) * cog] += np.einsum('oc,nc...->no...', wg, pg)
    return out


def ref_conv(c):
    x, w = dec(c['input']), dec(c['weight'])
    a = c['args']
    nd = x.ndim - 2
    k = list(w.shape[2:])
    s = per_dim(a.get('stride'), nd, 1)
    d = per_dim(a.get('dilation'), nd, 1)
    g = int(a.get('groups', 1))
    mode = a.get('paddingMode', 'zeros')
    pairs = conv_pairs(a.get('padding', 0), list(x.shape[2:]), k, s, d)
    b = dec_vec(c['bias']) if c['bias'] else None
    bshape = (1, -1) + (1,) * nd
    if mode == 'partial':
        xp = pad_nd(x, pairs, 'zeros')
        raw = direct_conv(xp, w, s, d, g)
        ones = pad_nd(np.ones((1, 1) + x.shape[2:]), pairs, 'zeros')
        cnt = direct_conv(ones, np.ones((1, 1) + tuple(k)), s, d, 1)
        win = float(np.prod(k))
        ratio = np.where(cnt > 0, win / np.maximum(cnt, 1), 0.0)
        out = raw * ratio
        if b is not None:
            out = out + b.reshape(bshape) * (cnt > 0)
        return out, None
    xp = pad_nd(x, pairs, mode, float(a.get('paddingValue', 0.0)))
    out = direct_conv(xp, w, s, d, g)
    if b is not None:
        out = out + b.reshape(bshape)
    return out, None


def ref_convt(c):
    x, w = dec(c['input']), dec(c['weight'])
    a = c['args']
    nd = x.ndim - 2
    N, Cin = x.shape[:2]
    k = list(w.shape[2:])
    g = int(a.get('groups', 1))
    cog = w.shape[1]
    Cout = cog * g
    cig = Cin // g
    s = per_dim(a.get('stride'), nd, 1)
    d = per_dim(a.get('dilation'), nd, 1)
    op = per_dim(a.get('outputPadding'), nd, 0)
    sp = list(x.shape[2:])
    padding = a.get('padding', 0)
    if padding == 'same':
        pb, L = [], []
        for i, kk, ss, dd in zip(sp, k, s, d):
            tot = dd * (kk - 1) + 1 - ss
            pb.append(tot // 2 if tot >= 0 else 0)
            L.append(i * ss)
    else:
        pairs = [(0, 0)] * nd if padding == 'valid' else conv_pairs(padding, sp, k, s, d)
        pb = [p for p, _ in pairs]
        base = [(i - 1) * ss - p0 - p1 + dd * (kk - 1) + 1 for i, ss, (p0, p1), dd, kk in zip(sp, s, pairs, d, k)]
        if 'outputSize' in a:
            L = [int(v) for v in a['outputSize']]
            assert all(0 <= l - b_ < max(ss, dd) for l, b_, ss, dd in zip(L, base, s, d)), (L, base)
        else:
            L = [b_ + o for b_, o in zip(base, op)]
    out = np.zeros((N, Cout) + tuple(L))
    for ipos in np.ndindex(*sp):
        xv = x[(slice(None), slice(None)) + ipos]  # N, Cin
        for tap in np.ndindex(*k):
            o = [ipos[i] * s[i] - pb[i] + tap[i] * d[i] for i in range(nd)]
            if any(o[i] < 0 or o[i] >= L[i] for i in range(nd)):
                continue
            for gg in range(g):
                wv = w[(slice(gg * cig, (gg + 1) * cig), slice(None)) + tap]  # cig, cog
                out[(slice(None), slice(gg * cog, (gg + 1) * cog)) + tuple(o)] += xv[:, gg * cig:(gg + 1) * cig] @ wv
    if c['bias']:
        out += dec_vec(c['bias']).reshape((1, -1) + (1,) * nd)
    return out, None


def ref_pconv(c):
    x, w = dec(c['input']), dec(c['weight'])
    m = dec(c['mask']) if c['mask'] else np.ones((x.shape[0], 1) + x.shape[2:])
    a = c['args']
    nd = x.ndim - 2
    k = list(w.shape[2:])
    s = per_dim(a.get('stride'), nd, 1)
    d = per_dim(a.get('dilation'), nd, 1)
    g = int(a.get('groups', 1))
    pairs = conv_pairs(a.get('padding', 0), list(x.shape[2:]), k, s, d)
    multi = bool(a.get('multiChannel', False))
    Cout = w.shape[0]
    raw = direct_conv(pad_nd(x * m, pairs, 'zeros'), w, s, d, g)
    mp = pad_nd(m, pairs, 'zeros')
    if multi:
        cnt1 = direct_conv(mp.sum(axis=1, keepdims=True), np.ones((1, 1) + tuple(k)), s, d, 1)
        cnt = np.repeat(cnt1, Cout, axis=1)
        win = m.shape[1] * np.prod(k)
    else:
        cnt = direct_conv(mp, np.ones((1, 1) + tuple(k)), s, d, 1)
        win = np.prod(k)
    newm = np.clip(cnt, 0, 1)
    ratio = win / (cnt + 1e-8) * newm
    if c['bias']:
        out = (raw * ratio + dec_vec(c['bias']).reshape((1, -1) + (1,) * nd)) * newm
    else:
        out = raw * ratio
    return out, newm


def ref_pad(c):
    x = dec(c['input'])
    a = c['args']
    nd = x.ndim - 2
    mode = a.get('mode', 'constant')
    value = float(a.get('value', 0.0))
    pairs = conv_pairs(a['padding'], list(x.shape[2:]), [1] * nd, [1] * nd, [1] * nd)
    out = x
    for dd, (b, af) in enumerate(pairs):
        ax = 2 + dd
        n = x.shape[ax]
        if mode == 'circular':
            base = max(0, -b)
            n2 = n - max(0, -b) - max(0, -af)
            idx = [base + (p % n2) for p in range(-max(b, 0), n2 + max(af, 0))]
        else:
            idx = [src_index(p, n, mode) for p in range(-b, n + af)]
        idx = np.array(idx, dtype=np.int64)
        taken = np.take(out, np.where(idx < 0, 0, idx), axis=ax)
        shape = [1] * out.ndim
        shape[ax] = len(idx)
        out = np.where(idx.reshape(shape) < 0, value, taken)
    return out, None


def main():
    bad = 0
    n = 0
    for fam in ('conv', 'conv_transpose', 'partial_conv', 'pad', 'examples'):
        with open(os.path.join(HERE, fam + '.json')) as f:
            cases = json.load(f)['cases']
        for c in cases:
            op = c['op']
            if op.startswith('conv') and 'Transpose' not in op:
                got, gm = ref_conv(c)
            elif op.startswith('convTranspose'):
                got, gm = ref_convt(c)
            elif op.startswith('partialConv'):
                got, gm = ref_pconv(c)
            elif op == 'pad':
                got, gm = ref_pad(c)
            else:
                continue
            n += 1
            exp = dec(c['expected'])
            msg = []
            if list(got.shape) != list(exp.shape):
                msg.append(f'shape {list(got.shape)} != {list(exp.shape)}')
            else:
                err = float(np.max(np.abs(got - exp))) if exp.size else 0.0
                tol = 0.0 if op == 'pad' else 2e-6 * max(1.0, c['scale']) * max(1, math.sqrt(c['reduction']))
                if err > tol:
                    msg.append(f'max err {err:.3g} > {tol:.3g}')
            if gm is not None:
                em = dec(c['expectedMask'])
                if list(gm.shape) != list(em.shape) or np.max(np.abs(gm - em)) > 1e-6:
                    msg.append('mask differs')
            if msg:
                bad += 1
                print(f'MISMATCH [{fam}] {c["name"]}: ' + '; '.join(msg))
    print(f'verified {n} cases, {bad} mismatches')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
