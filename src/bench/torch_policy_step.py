#!/usr/bin/env python3
"""PyTorch (CPU) re-implementation of the default VLA policy's training step, for a speed comparison.

What it mirrors (keep in step with these files):
  src/policy/config.ts     DEFAULT_POLICY_CONFIG: 64x64 image, conv stem 3->16->16, 8x8 patches, width 64, 4 heads,
                           2 vision / 1 language / 1 fusion / 1 action layers, FFN 2x, gelu, 12 words, chunk 8,
                           action 5, proprio 11, attention keypoints on, memory 'words', proprio in the queries,
                           dropout 0
  src/policy/blocks.ts     LayerNorm (eps 1e-5), Dense (y = x W + b), gelu = x * sigmoid(1.702 x), pre-LN
                           TransformerBlock (self-attention: keys = values = LN1(x); cross-attention: keys = values =
                           the context as given, i.e. already layer-normed by the caller)
  src/attention/MultiHeadAttention.ts  q/k/v/o projections with biases, scaled dot-product, key padding masked by
                           softmax(scores - 1e30) * allow
  src/policy/encoders.ts   VisionEncoder (x / 255 -> conv3x3 -> relu -> conv3x3 -> patchify (pixel row, pixel column,
                           channel) -> linear -> + pos embed -> blocks -> LN), LanguageEncoder (embedding + pos embed
                           -> blocks with the padding mask -> LN)
  src/policy/VlaPolicy.ts  fusion (words query patches), attention keypoints (spatial soft-argmax of the last fusion
                           layer's per-head maps -> linear 2H -> E, added to the words), LN, proprio token, memory LN,
                           K learned action queries -> cross-attention over the memory (padding words masked) -> LN
                           -> linear head; lossTerms: L1 on the 4 normalised deltas + BCE-with-logits on the gripper
                           + groundingWeight * cross-entropy of the grounding targets against the head-averaged maps
  src/policy/PatchLabels.ts  (--patch-labels, PolicyConfig.patchLabels) a linear head on the patch tokens, kind and
                           colour softmaxes, + labelWeight * their weighted cross-entropy
  src/train/train.ts       one step: forward, backward, clip by global norm (clipNorm 1.0), Adam (lr 1e-3,
                           beta 0.9 / 0.999, epsilon 1e-7 = tf.train.adam's default)

The parameter count must equal the TF.js model's (`npx vla bench policy` prints it; 246933 with the default
vocabulary of 55 tokens). The data is synthetic (random pixels, a fixed 5-word command, random proprioception and
actions, grounding targets on two words), as in src/policy/bench.ts.

Run:
  /usr/bin/python3 src/bench/torch_policy_step.py [--batch 32] [--steps 20] [--warmup 3] [--threads 1] [--vocab 55]
      [--image-size 64 --patch-size 8 --space-to-depth 1]   (the three PolicyConfig fields a --config may change)
  npx vla bench policy --torch [--torch-threads 2]     (runs this script after the TF.js measurement)

Needs PyTorch for the system Python; on Debian: apt-get install python3-torch (torch 1.13). The last line printed
is one JSON object: {"parameters", "trainStepMs", "stepTimesMs", "batch", "threads", "torch", "blas", ...}.
Note: Debian's python3-torch 1.13 reports BLAS_INFO=generic and runs its matrix products through the reference
libblas.so.3 unless an optimised BLAS provides that alternative (apt-get install libopenblas0-pthread); the
"blas" field says what torch was built against, "blasLibrary" which library is loaded; the figures depend on it
(e.g. with OpenBLAS unpacked somewhere: LD_LIBRARY_PATH=<dir with its libblas.so.3> npx vla bench policy --torch).
"""
import argparse
import json
import math
import os
import re
import statistics
import sys
import time


def _threads_from_argv(argv):
    """--threads N, read before torch loads: an optimised libblas.so.3 (OpenBLAS) takes its thread count from the
    environment at load time and would otherwise use every core while torch uses N."""
    for i, a in enumerate(argv):
        if a == '--threads' and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith('--threads='):
            return a.split('=', 1)[1]
    return '1'


os.environ.setdefault('OPENBLAS_NUM_THREADS', _threads_from_argv(sys.argv[1:]))

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # the caller (vla bench policy --torch) turns this exit code into an install hint
    print('torch_policy_step.py: PyTorch is not installed for this Python; on Debian: apt-get install python3-torch',
          file=sys.stderr)
    sys.exit(3)

MASKED_SCORE = 1e30  # src/attention/masks.ts
PATCH_KINDS = 5  # src/policy/PatchLabels.ts: ball, cube, cylinder, bowl, plate
PATCH_COLOURS = 6  # red, green, blue, yellow, purple, orange


def gelu(x):
    """The sigmoid approximation of GELU used by blocks.ts: x * sigmoid(1.702 x)."""
    return x * torch.sigmoid(1.702 * x)


def xavier_(w, fan_in, fan_out):
    limit = math.sqrt(6 / (fan_in + fan_out))
    with torch.no_grad():
        w.uniform_(-limit, limit)
    return w


def normal_(w, std):
    with torch.no_grad():
        nn.init.trunc_normal_(w, 0.0, std, -2 * std, 2 * std)
    return w


class Dense(nn.Module):
    """y = x W + b, W [in, out] Glorot-uniform, b zeros (blocks.ts Dense)."""

    def __init__(self, din, dout):
        super().__init__()
        self.kernel = nn.Parameter(xavier_(torch.empty(din, dout), din, dout))
        self.bias = nn.Parameter(torch.zeros(dout))

    def forward(self, x):
        return torch.matmul(x, self.kernel) + self.bias


class MultiHeadAttention(nn.Module):
    """src/attention/MultiHeadAttention.ts with scoreKind 'dot', biases on, kDim = vDim = E."""

    def __init__(self, E, H):
        super().__init__()
        self.E, self.H, self.dh = E, H, E // H
        self.wq, self.wk, self.wv, self.wo = (Dense(E, E) for _ in range(4))

    def forward(self, query, key, value, key_padding_mask=None):
        B, Tq, E = query.shape
        Tk = key.shape[1]
        H, dh = self.H, self.dh
        q = self.wq(query).reshape(B, Tq, H, dh).transpose(1, 2)  # [B, H, Tq, dh]
        k = self.wk(key).reshape(B, Tk, H, dh).transpose(1, 2)  # [B, H, Tk, dh]
        v = self.wv(value).reshape(B, Tk, H, dh).transpose(1, 2)  # [B, H, Tk, dh]
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1 / math.sqrt(dh))  # [B, H, Tq, Tk]
        if key_padding_mask is not None:
            allow = (1 - key_padding_mask).reshape(B, 1, 1, Tk)  # [B, 1, 1, Tk]
            weights = torch.softmax(scores + (allow - 1) * MASKED_SCORE, dim=-1) * allow  # masks.ts maskedSoftmax
        else:
            weights = torch.softmax(scores, dim=-1)
        heads = torch.matmul(weights, v)  # [B, H, Tq, dh]
        merged = heads.transpose(1, 2).reshape(B, Tq, E)  # [B, Tq, E]
        return self.wo(merged), weights


class FeedForward(nn.Module):
    def __init__(self, E, hidden):
        super().__init__()
        self.fc1 = Dense(E, hidden)
        self.fc2 = Dense(hidden, E)

    def forward(self, x):
        return self.fc2(gelu(self.fc1(x)))


class TransformerBlock(nn.Module):
    """Pre-LN block of blocks.ts: x += Attn(LN1(x), ctx); x += FFN(LN2(x)); ctx = LN1(x) when self-attention,
    else the context exactly as given (no LN1 on keys/values)."""

    def __init__(self, E, H, ffn_mult):
        super().__init__()
        self.ln1 = nn.LayerNorm(E, eps=1e-5)
        self.attn = MultiHeadAttention(E, H)
        self.ln2 = nn.LayerNorm(E, eps=1e-5)
        self.ffn = FeedForward(E, ffn_mult * E)

    def forward(self, x, context=None, key_padding_mask=None):
        h = self.ln1(x)
        kv = h if context is None else context
        a, weights = self.attn(h, kv, kv, key_padding_mask)
        x1 = x + a
        return x1 + self.ffn(self.ln2(x1)), weights


def patchify(x, p):
    """[N, S, S, C] (NHWC) -> [N, (S/p)^2, p*p*C], patch vectors laid out (pixel row, pixel column, channel)."""
    N, S, _, C = x.shape
    g = S // p
    rows = x.reshape(N * g, p, g, p * C)
    return rows.transpose(1, 2).reshape(N, g * g, p * p * C)


class VlaPolicy(nn.Module):
    def __init__(self, vocab, S=64, stem=16, patch=8, E=64, H=4, vision_layers=2, language_layers=1, fusion_layers=1,
                 action_layers=1, ffn_mult=2, max_words=12, chunk=8, action_dim=5, proprio_dim=11, fold=1,
                 patch_labels=False):
        super().__init__()
        self.S, self.patch, self.E, self.H, self.L, self.K, self.D = S, patch, E, H, max_words, chunk, action_dim
        self.fold = fold  # spaceToDepth: f x f pixel blocks -> 3 f^2 channels before the stem
        g = S // patch
        P = g * g
        cin = 3 * fold * fold
        # vision/stem: torch's conv weight is [Cout, Cin, k, k] (TF.js [k, k, Cin, Cout]); same count, same init law
        self.conv1 = nn.Conv2d(cin, stem, 3, padding=1)
        self.conv2 = nn.Conv2d(stem, stem, 3, padding=1)
        xavier_(self.conv1.weight, 9 * cin, 9 * stem)
        xavier_(self.conv2.weight, 9 * stem, 9 * stem)
        nn.init.zeros_(self.conv1.bias)
        nn.init.zeros_(self.conv2.bias)
        side = patch // fold  # a patch's side in positions of the folded image
        self.patch_embed = Dense(side * side * stem, E)
        self.vision_pos = nn.Parameter(normal_(torch.empty(P, E), 0.02))
        self.vision_blocks = nn.ModuleList(TransformerBlock(E, H, ffn_mult) for _ in range(vision_layers))
        self.vision_ln = nn.LayerNorm(E, eps=1e-5)
        # patch labels (PatchLabels.ts): linear on the patch tokens -> kind and colour logits
        self.labels = Dense(E, PATCH_KINDS + PATCH_COLOURS) if patch_labels else None
        # language
        self.token_embed = nn.Parameter(normal_(torch.empty(vocab, E), 0.02))
        self.language_pos = nn.Parameter(normal_(torch.empty(max_words, E), 0.02))
        self.language_blocks = nn.ModuleList(TransformerBlock(E, H, ffn_mult) for _ in range(language_layers))
        self.language_ln = nn.LayerNorm(E, eps=1e-5)
        # fusion + attention keypoints
        self.fusion_blocks = nn.ModuleList(TransformerBlock(E, H, ffn_mult) for _ in range(fusion_layers))
        self.fusion_ln = nn.LayerNorm(E, eps=1e-5)
        self.keypoints = Dense(2 * H, E)
        coords = torch.empty(P, 2)
        for p in range(P):
            coords[p, 0] = ((p % g) + 0.5) / g * 2 - 1
            coords[p, 1] = ((p // g) + 0.5) / g * 2 - 1
        self.register_buffer('patch_coords', coords)  # [T, 2], not a parameter
        # proprio + action decoder
        self.proprio_proj = Dense(proprio_dim, E)
        self.action_queries = nn.Parameter(normal_(torch.empty(chunk, E), 0.02))
        self.memory_ln = nn.LayerNorm(E, eps=1e-5)
        self.action_blocks = nn.ModuleList(TransformerBlock(E, H, ffn_mult) for _ in range(action_layers))
        self.action_ln = nn.LayerNorm(E, eps=1e-5)
        self.head = Dense(E, action_dim)
        # identity normalisation statistics, as in the bench (identityStats)
        self.register_buffer('proprio_mean', torch.zeros(proprio_dim))
        self.register_buffer('proprio_std', torch.ones(proprio_dim))
        self.register_buffer('action_mean', torch.zeros(action_dim))
        self.register_buffer('action_std', torch.ones(action_dim))

    def forward(self, images, tokens, token_mask, proprio):
        """images [B, S, S, 3] float 0..255 (NHWC, as TF.js), tokens [B, L] long, token_mask [B, L], proprio [B, 11]."""
        B = tokens.shape[0]
        # --- vision (the conv runs NCHW, torch's layout; patchify sees NHWC like encoders.ts)
        x = images * (1 / 255)  # [B, S, S, 3]
        f, Sf = self.fold, self.S // self.fold
        if f > 1:
            x = patchify(x, f).reshape(B, Sf, Sf, 3 * f * f)  # [B, S/f, S/f, 3ff], as encoders.ts
        x = x.permute(0, 3, 1, 2)  # [B, 3ff, S/f, S/f]
        x = self.conv2(F.relu(self.conv1(x)))  # [B, C, S/f, S/f]
        x = x.permute(0, 2, 3, 1)  # [B, S/f, S/f, C]
        patches = self.patch_embed(patchify(x, self.patch // f)) + self.vision_pos  # [B, P, E]
        for blk in self.vision_blocks:
            patches, _ = blk(patches)
        patches = self.vision_ln(patches)
        self.patch_tokens = patches  # read by loss() for the patch labels
        # --- language
        padding = 1 - token_mask  # [B, L], 1 = padding
        words = F.embedding(tokens, self.token_embed) + self.language_pos  # [B, L, E]
        for blk in self.language_blocks:
            words, _ = blk(words, None, padding)
        words = self.language_ln(words)
        # --- fusion: words query patches (keys/values = the vision tokens as they are, no mask)
        cross = []
        for blk in self.fusion_blocks:
            words, w = blk(words, patches, None)
            cross.append(w)  # [B, H, L, T]
        w = cross[-1]
        T = w.shape[-1]
        kp = torch.matmul(w.reshape(B * self.H * self.L, T), self.patch_coords)  # [B*H*L, 2]
        per_word = kp.reshape(B, self.H, self.L, 2).transpose(1, 2).reshape(B, self.L, 2 * self.H)  # [B, L, 2H]
        words = self.fusion_ln(words + self.keypoints(per_word))
        # --- proprio token, memory, action decoder
        prop = (proprio - self.proprio_mean) / self.proprio_std
        prop_tok = self.proprio_proj(prop).reshape(B, 1, self.E)  # [B, 1, E]
        # memory = LN(fused words); the proprio token joins every action query
        memory = self.memory_ln(words)  # [B, L, E]
        q = torch.zeros(B, self.K, self.E) + self.action_queries + prop_tok  # [B, K, E]
        for blk in self.action_blocks:
            q, _ = blk(q, memory, padding)
        return self.head(self.action_ln(q)), cross  # [B, K, 5]

    def loss(self, batch, grounding_weight, label_weight=0.5):
        pred, cross = self(batch['images'], batch['tokens'], batch['token_mask'], batch['proprio'])
        target, valid = batch['actions'], batch['action_valid']
        D = self.D
        n_valid = torch.clamp(valid.sum(), min=1)
        t_delta = (target[:, :, :D - 1] - self.action_mean[:D - 1]) / self.action_std[:D - 1]
        l1 = (pred[:, :, :D - 1] - t_delta).abs()
        delta = (l1 * valid.unsqueeze(2)).sum() / (n_valid * (D - 1))
        x = pred[:, :, D - 1]
        z = (target[:, :, D - 1] >= 0.5).float()
        bce = F.relu(x) - x * z + torch.log1p(torch.exp(-x.abs()))  # VlaPolicy.lossTerms' form of BCE with logits
        gripper = (bce * valid).sum() / n_valid
        a = cross[-1].mean(1)  # [B, L, T], heads averaged
        ce = -(batch['ground_target'] * torch.log(a + 1e-6)).sum(2)  # [B, L]
        gw = batch['ground_weight']
        grounding = (ce * gw).sum() / torch.clamp(gw.sum(), min=1)
        total = delta + gripper + grounding_weight * grounding
        if self.labels is not None:
            # PatchLabels.loss: weighted cross-entropy of kind and colour per patch, over 2 * the sum of the weights
            logits = self.labels(self.patch_tokens)  # [B, P, NK + NC]
            kind = F.log_softmax(logits[:, :, :PATCH_KINDS], -1)
            colour = F.log_softmax(logits[:, :, PATCH_KINDS:], -1)
            ce = (batch['patch_kind'] * kind).sum(2) + (batch['patch_colour'] * colour).sum(2)  # [B, P]
            w = batch['patch_weight']
            total = total + label_weight * (-(ce * w).sum() / (torch.clamp(w.sum(), min=1e-6) * 2))
        return total


def synthetic_batch(B, vocab, L=12, S=64, K=8, D=5, proprio_dim=11, P=64, words=5, seed=1):
    """Random pixels, a fixed command of `words` words (then padding), random proprio and actions, grounding targets
    spread over 4 patches for two of the words."""
    g = torch.Generator().manual_seed(seed)
    tokens = torch.zeros(B, L, dtype=torch.long)
    tokens[:, :words] = torch.arange(2, 2 + words) % vocab
    mask = torch.zeros(B, L)
    mask[:, :words] = 1
    gripper = (torch.rand(B, K, 1, generator=g) > 0.5).float()
    target = torch.zeros(B, L, P)
    weight = torch.zeros(B, L)
    for i in (words - 2, words - 1):
        cells = torch.randint(0, P, (B, 4), generator=g)
        target[torch.arange(B).unsqueeze(1), i, cells] = 0.25
        weight[:, i] = 1
    return {
        'images': torch.floor(torch.rand(B, S, S, 3, generator=g) * 256),
        'tokens': tokens,
        'token_mask': mask,
        'proprio': torch.randn(B, proprio_dim, generator=g),
        'actions': torch.cat([torch.randn(B, K, D - 1, generator=g) * 0.01, gripper], 2),
        'action_valid': torch.ones(B, K),
        'ground_target': target,
        'ground_weight': weight,
        # patch labels: one-hot kind and colour on a quarter of the patches, weight 1 there
        'patch_kind': F.one_hot(torch.randint(0, PATCH_KINDS, (B, P), generator=g), PATCH_KINDS).float(),
        'patch_colour': F.one_hot(torch.randint(0, PATCH_COLOURS, (B, P), generator=g), PATCH_COLOURS).float(),
        'patch_weight': (torch.rand(B, P, generator=g) < 0.25).float(),
    }


def blas_info():
    """torch's BLAS as its build reports it; 'generic' = the reference netlib BLAS (libblas3), which Debian's
    python3-torch uses unless an optimised libblas.so.3 (e.g. libopenblas0-pthread) is installed."""
    m = re.search(r'BLAS_INFO=([^,\s]+)', torch.__config__.show())
    return m.group(1) if m else 'unknown'


def blas_library():
    """The BLAS library actually loaded (Linux: from /proc/self/maps), e.g. /usr/lib/x86_64-linux-gnu/blas/
    libblas.so.3.11.0 (the reference BLAS) or .../openblas-pthread/libopenblasp-r0.3.21.so; '' if unknown."""
    try:
        with open('/proc/self/maps') as f:
            paths = {line.split()[-1] for line in f if '/' in line}
    except OSError:
        return ''
    libs = sorted(p for p in paths if re.search(r'(blas|mkl_rt|mkl_core|blis)[^/]*\.so', os.path.basename(p)))
    return os.path.realpath(libs[0]) if libs else ''


def main():
    ap = argparse.ArgumentParser(description='PyTorch CPU training step of the default VLA policy (see the header).')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--steps', type=int, default=20, help='timed steps (the median is reported)')
    ap.add_argument('--warmup', type=int, default=3, help='untimed steps first (Adam state, allocator)')
    ap.add_argument('--threads', type=int, default=1, help='torch.set_num_threads (default 1, like the TF.js wasm backend)')
    ap.add_argument('--vocab', type=int, default=55, help='tokenizer size (the TF.js default vocabulary has 55 tokens)')
    ap.add_argument('--image-size', type=int, default=64, help='PolicyConfig.imageSize')
    ap.add_argument('--patch-size', type=int, default=8, help='PolicyConfig.patchSize (image pixels)')
    ap.add_argument('--space-to-depth', type=int, default=1, help='PolicyConfig.spaceToDepth')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--clip-norm', type=float, default=1.0, help='global-norm clip as train.ts (0 = off)')
    ap.add_argument('--grounding-weight', type=float, default=0.5, help='weight of the grounding term (train.ts: 0.5)')
    ap.add_argument('--patch-labels', action='store_true', help='PolicyConfig.patchLabels: the patch label head and its loss')
    ap.add_argument('--label-weight', type=float, default=0.5, help='weight of the patch label term (train.ts: 0.5)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json-only', action='store_true', help='print only the final JSON line')
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    S, p, f = a.image_size, a.patch_size, a.space_to_depth
    if S % p or S % f or p % f:
        ap.error(f'--patch-size ({p}) must divide --image-size ({S}) and --space-to-depth ({f}) must divide both')
    model = VlaPolicy(a.vocab, S=S, patch=p, fold=f, patch_labels=a.patch_labels)
    params = list(model.parameters())
    n_params = sum(q.numel() for q in params)
    batch = synthetic_batch(a.batch, a.vocab, S=S, P=(S // p) ** 2)
    # tf.train.adam(lr): beta1 0.9, beta2 0.999, epsilon = the backend epsilon 1e-7
    opt = torch.optim.Adam(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-7)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(batch, a.grounding_weight, a.label_weight)
        loss.backward()
        if a.clip_norm > 0:
            # train.ts: scale = min(1, clipNorm / (||g|| + 1e-6)), applied to every gradient
            norm = torch.sqrt(sum((p.grad * p.grad).sum() for p in params))
            scale = torch.clamp(a.clip_norm / (norm + 1e-6), max=1.0)
            for p in params:
                p.grad.mul_(scale)
        opt.step()
        return loss.item()  # the sync point, as value.dataSync() in train.ts

    losses = []
    for _ in range(a.warmup):
        losses.append(step())
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        losses.append(step())
        times.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(times)
    if not a.json_only:
        print(f'PyTorch {torch.__version__} CPU, {torch.get_num_threads()} thread(s), BLAS {blas_info()} '
              f'({blas_library() or "library unknown"}): {n_params} parameters')
        print(f'  training step, batch {a.batch} (forward + backward + clip + Adam): median {med:.1f} ms over {a.steps} '
              f'steps after {a.warmup} warm-up (min {min(times):.1f}, max {max(times):.1f}); loss {losses[0]:.3f} -> {losses[-1]:.3f}')
    print(json.dumps({'parameters': n_params, 'trainStepMs': med, 'stepTimesMs': [round(t, 2) for t in times],
                      'batch': a.batch, 'threads': torch.get_num_threads(), 'torch': torch.__version__,
                      'blas': blas_info(), 'blasLibrary': blas_library(), 'firstLoss': losses[0], 'lastLoss': losses[-1]}))


if __name__ == '__main__':
    main()
