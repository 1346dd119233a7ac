#!/usr/bin/env python3
"""Writes an attention golden file (format attention-golden/1) computed by PyTorch in float64.

The golden test (test/attention/golden.test.ts) reads any such file through env ATTENTION_GOLDEN, so this script
makes fresh cases, with other seeds and shapes than the shared file, to check that the test and the library hold
beyond the cases they were written against:

    /usr/bin/python3 test/attention/make_golden.py --seed 7 --out /tmp/golden-7.json   # Debian: apt-get install python3-torch
    ATTENTION_GOLDEN=/tmp/golden-7.json npx vitest run test/attention/golden.test.ts

Layout (the `conventions` field below): tensors are {shape, data} with data flat and row-major; kernels [in, out];
masks 1 = may attend; keyPaddingMask 1 = padding. Where PyTorch gives NaN (a query with every key masked) the
file holds null, which the golden test reads as "expect 0" (this library's documented behaviour).
"""
import argparse
import json
import math

import torch

torch.set_default_dtype(torch.float64)


def tensor(t):
    if t is None:
        return None
    flat = t.detach().reshape(-1).tolist()
    data = [None if (isinstance(x, float) and math.isnan(x)) else x for x in flat]
    return {"shape": list(t.shape), "data": data}


def rand_mask(g, shape, p_keep=0.7, ensure_row=True):
    m = (torch.rand(shape, generator=g) < p_keep).double()
    if ensure_row:
        m[..., 0] = 1.0
    return m


def softmax_masked(scores, allow):
    if allow is not None:
        scores = scores.masked_fill(allow == 0, float("-inf"))
    return torch.softmax(scores, dim=-1)


def sdpa_case(g, name, B, Tq, Tk, d, dv, masked, causal, scale_up=1.0, full_masked_row=False):
    q = torch.randn(B, Tq, d, generator=g) * scale_up
    k = torch.randn(B, Tk, d, generator=g) * scale_up
    v = torch.randn(B, Tk, dv, generator=g)
    allow = rand_mask(g, (B, Tq, Tk)) if masked else None
    if full_masked_row:
        allow[0, -1, :] = 0.0
    full = allow if allow is not None else torch.ones(B, Tq, Tk)
    if causal:
        full = full * torch.tril(torch.ones(Tq, Tk))
    w = softmax_masked(q @ k.transpose(-1, -2) / math.sqrt(d), full)
    return {"name": name, "kind": "sdpa", "q": tensor(q), "k": tensor(k), "v": tensor(v), "mask": tensor(allow),
            "causal": causal, "output": tensor(w @ v), "weights": tensor(w)}


def additive_case(g, name, B, Tq, Tk, dq, dk, dv, da, masked, causal):
    q, k, v = torch.randn(B, Tq, dq, generator=g), torch.randn(B, Tk, dk, generator=g), torch.randn(B, Tk, dv, generator=g)
    wq, wk = torch.randn(dq, da, generator=g) * 0.5, torch.randn(dk, da, generator=g) * 0.5
    b, va = torch.randn(da, generator=g) * 0.1, torch.randn(da, generator=g)
    allow = rand_mask(g, (B, Tq, Tk)) if masked else None
    full = allow if allow is not None else torch.ones(B, Tq, Tk)
    if causal:
        full = full * torch.tril(torch.ones(Tq, Tk))
    h = torch.tanh((q @ wq)[:, :, None, :] + (k @ wk)[:, None, :, :] + b)
    w = softmax_masked(h @ va, full)
    out = {"name": name, "kind": "additive", "q": tensor(q), "k": tensor(k), "v": tensor(v), "wq": tensor(wq),
           "wk": tensor(wk), "b": tensor(b), "va": tensor(va), "mask": tensor(allow), "output": tensor(w @ v),
           "weights": tensor(w)}
    if causal:
        out["causal"] = True
    return out


def mha_case(g, name, B, Tq, Tk, E, H, kdim, vdim, causal, padding, bias):
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=g)))
    mha = torch.nn.MultiheadAttention(E, H, batch_first=True, kdim=kdim, vdim=vdim, bias=bias)
    with torch.no_grad():  # non-zero biases so that they are tested
        for p in mha.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    query, key, value = torch.randn(B, Tq, E, generator=g), torch.randn(B, Tk, kdim, generator=g), torch.randn(B, Tk, vdim, generator=g)
    kpm = None
    if padding:
        kpm = torch.zeros(B, Tk)
        kpm[0, Tk - 2:] = 1.0
    attn_mask = torch.triu(torch.ones(Tq, Tk, dtype=torch.bool), diagonal=1) if causal else None
    out, w = mha(query, key, value, key_padding_mask=None if kpm is None else kpm.bool(), attn_mask=attn_mask,
                 need_weights=True, average_attn_weights=False)
    if mha._qkv_same_embed_dim:
        wq_, wk_, wv_ = mha.in_proj_weight.chunk(3)
    else:
        wq_, wk_, wv_ = mha.q_proj_weight, mha.k_proj_weight, mha.v_proj_weight
    bq, bk, bv = mha.in_proj_bias.chunk(3) if bias else (None, None, None)
    return {"name": name, "kind": "mha", "numHeads": H, "causal": causal, "query": tensor(query), "key": tensor(key),
            "value": tensor(value), "wq": tensor(wq_.T), "bq": tensor(bq), "wk": tensor(wk_.T), "bk": tensor(bk),
            "wv": tensor(wv_.T), "bv": tensor(bv), "wo": tensor(mha.out_proj.weight.T),
            "bo": tensor(mha.out_proj.bias if bias else None), "keyPaddingMask": tensor(kpm), "output": tensor(out),
            "weights": tensor(w)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    g = torch.Generator().manual_seed(a.seed)
    cases = [
        sdpa_case(g, "sdpa-rect", 3, 4, 9, 6, 2, False, False),
        sdpa_case(g, "sdpa-mask-causal", 2, 6, 6, 5, 3, True, True),
        sdpa_case(g, "sdpa-causal-rect", 1, 4, 7, 4, 4, False, True),
        sdpa_case(g, "sdpa-large-logits", 2, 5, 5, 8, 3, True, False, scale_up=12.0),
        sdpa_case(g, "sdpa-fully-masked-row", 2, 3, 4, 4, 2, True, False, full_masked_row=True),
        additive_case(g, "additive-wide", 2, 4, 6, 3, 9, 5, 11, True, False),
        additive_case(g, "additive-causal", 1, 5, 5, 4, 4, 3, 6, False, True),
        mha_case(g, "mha-cross-kv-widths", 2, 3, 5, 12, 3, 7, 5, False, True, True),
        mha_case(g, "mha-causal-padding", 2, 6, 6, 8, 4, 8, 8, True, True, True),
        mha_case(g, "mha-no-bias", 1, 4, 4, 6, 1, 6, 6, False, False, False),
    ]
    doc = {
        "format": "attention-golden/1",
        "generator": f"PyTorch {torch.__version__}, float64, seed {a.seed} (test/attention/make_golden.py)",
        "conventions": {
            "tensor": "{shape, data}: data is flat, row-major; null = NaN in PyTorch (a fully masked row)",
            "kernels": "[in, out]: y = x @ w + b",
            "mask": "1 = may attend, 0 = masked out; shape [B, Tq, Tk]",
            "keyPaddingMask": "1 = padding (masked out); shape [B, Tk]",
            "causal": "position i attends to keys j <= i",
            "additive": "score[b,i,j] = va . tanh(q[b,i] @ wq + k[b,j] @ wk + b)",
            "mha": "torch.nn.MultiheadAttention(batch_first=True); weights per head [B, h, Tq, Tk]",
        },
        "cases": cases,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f)
    print(f"wrote {len(cases)} cases to {a.out}")


if __name__ == "__main__":
    main()
