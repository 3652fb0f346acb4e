"""Trains the bundled default model with PyTorch on the CPU (a one-time offline step; CI never trains).

    node dist/training/export-tokens.js          # the Brown split, tokenized by the engine's tokenizer
    python3 training/train.py                     # train or resume (checkpoints/torch.pt), then export

The model is HuggingFace's GPT-2 block for block (pre-LayerNorm, biases, gelu_new, learned positions,
tied embeddings), with parameters under HF's names and Conv1D layouts, so the export is a copy and
every GPT-2 loader, our engine first, reads it.

Deterministic from SEED: the initial weights come from SEED and each step's batch from (SEED, step),
so a run stopped and resumed from its checkpoint continues as if it had never stopped.

The data mixes natural Brown windows with sequences that repeat a span (a Brown span, or random
tokens), the repeated bigrams that induction heads need in context; the mixture, a schedule by step, is MIX below.
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOKENS = os.path.join(ROOT, "checkpoints", "tokens")
CHECKPOINTS = os.path.join(ROOT, "checkpoints")
# The constant-rate phase is the same whatever the run's length, so its checkpoint and log are
# shared; each length N has its own decay phase, checkpointed and logged apart (decay-N). Logs stay
# beside the checkpoints until finish.ts publishes the committed model's own to training/log.jsonl.
MAIN_CHECKPOINT = os.path.join(CHECKPOINTS, "torch.pt")
MAIN_LOG = os.path.join(CHECKPOINTS, "log.jsonl")


# A fresh clone has no checkpoints/: a run still in progress at the end of a session is committed
# here (--save-resume), and a run with no checkpoint of its own continues from it.
RESUME = os.path.join(HERE, "resume")


def decay_checkpoint(steps):
    return os.path.join(CHECKPOINTS, f"decay-{steps}.pt")


def decay_log(steps):
    return os.path.join(CHECKPOINTS, f"log-decay-{steps}.jsonl")

# One source for the shapes and the run, read by this script and by the TypeScript side (hparams.ts).
HPARAMS = json.load(open(os.path.join(HERE, "hparams.json")))
MODEL = HPARAMS["model"]
TRAIN = dict(HPARAMS["train"], betas=tuple(HPARAMS["train"]["betas"]))
# Shares of the batch: natural windows; a Brown span of REPEAT_SPAN tokens then the same span again;
# random tokens, repeated. The rest of a repeat sequence is natural text that follows. The shares are
# a schedule: each phase holds from its from_step until the next one's.
MIX = HPARAMS["mix"]


def mix_at(step):
    return [phase for phase in MIX if phase["from_step"] <= step][-1]
REPEAT_SPAN = tuple(HPARAMS["repeat_span"])


def load_tokens():
    info = json.load(open(os.path.join(TOKENS, "tokens.json")))
    train = np.fromfile(os.path.join(TOKENS, "train.i32"), dtype="<i4")
    held = np.fromfile(os.path.join(TOKENS, "held-out.i32"), dtype="<i4")
    assert info["vocab_size"] == MODEL["vocab_size"], "token files are for another vocabulary: re-export them"
    return info, train, held


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2(torch.nn.Module):
    """GPT2LMHeadModel with tied embeddings; state_dict keys are HF's (`transformer.h.0.attn.c_attn.weight`, …)."""

    def __init__(self, c, seed):
        super().__init__()
        self.c = c
        d, n_inner = c["n_embd"], c["n_inner"]
        g = torch.Generator().manual_seed(seed)
        std, resid_std = 0.02, 0.02 / math.sqrt(2 * c["n_layer"])
        P = torch.nn.Parameter
        normal = lambda shape, s: P(torch.randn(*shape, generator=g) * s)
        self.params = torch.nn.ParameterDict()
        add = lambda name, p: self.params.__setitem__(name.replace(".", "__"), p)
        add("transformer.wte.weight", normal((c["vocab_size"], d), std))
        # Positions start as sinusoids (scaled to the embeddings' size) and are then learned like GPT-2's:
        # a fixed offset is then a rotation that W_Q·W_Kᵀ can express, so previous-token heads, the first
        # half of an induction circuit, form sooner than from N(0, 0.01²).
        position = torch.arange(c["n_positions"], dtype=torch.float32)[:, None]
        frequency = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float32) / d)
        sinusoid = torch.zeros(c["n_positions"], d)
        sinusoid[:, 0::2], sinusoid[:, 1::2] = torch.sin(position * frequency), torch.cos(position * frequency)
        add("transformer.wpe.weight", P(sinusoid * std))
        for l in range(c["n_layer"]):
            p = f"transformer.h.{l}."
            add(p + "ln_1.weight", P(torch.ones(d)))
            add(p + "ln_1.bias", P(torch.zeros(d)))
            add(p + "attn.c_attn.weight", normal((d, 3 * d), std))
            add(p + "attn.c_attn.bias", P(torch.zeros(3 * d)))
            add(p + "attn.c_proj.weight", normal((d, d), resid_std))
            add(p + "attn.c_proj.bias", P(torch.zeros(d)))
            add(p + "ln_2.weight", P(torch.ones(d)))
            add(p + "ln_2.bias", P(torch.zeros(d)))
            add(p + "mlp.c_fc.weight", normal((d, n_inner), std))
            add(p + "mlp.c_fc.bias", P(torch.zeros(n_inner)))
            add(p + "mlp.c_proj.weight", normal((n_inner, d), resid_std))
            add(p + "mlp.c_proj.bias", P(torch.zeros(d)))
        add("transformer.ln_f.weight", P(torch.ones(d)))
        add("transformer.ln_f.bias", P(torch.zeros(d)))

    def w(self, name):
        return self.params[name.replace(".", "__")]

    def named_hf(self):
        return [(k.replace("__", "."), v) for k, v in self.params.items()]

    def forward(self, ids, dropout=0.0, keep_patterns=False):
        c, w = self.c, self.w
        B, T = ids.shape
        H, d = c["n_head"], c["n_embd"]
        dh = d // H
        eps = c["layer_norm_epsilon"]
        drop = (lambda t: F.dropout(t, dropout, True)) if dropout > 0 else (lambda t: t)
        x = drop(w("transformer.wte.weight")[ids] + w("transformer.wpe.weight")[:T])
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        patterns = []
        for l in range(c["n_layer"]):
            p = f"transformer.h.{l}."
            h = F.layer_norm(x, (d,), w(p + "ln_1.weight"), w(p + "ln_1.bias"), eps)
            qkv = h @ w(p + "attn.c_attn.weight") + w(p + "attn.c_attn.bias")
            q, k, v = qkv.split(d, dim=-1)
            q, k, v = (t.view(B, T, H, dh).transpose(1, 2) for t in (q, k, v))
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
            pattern = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
            if keep_patterns:
                patterns.append(pattern)
            z = (drop(pattern) @ v).transpose(1, 2).reshape(B, T, d)
            x = x + drop(z @ w(p + "attn.c_proj.weight") + w(p + "attn.c_proj.bias"))
            h = F.layer_norm(x, (d,), w(p + "ln_2.weight"), w(p + "ln_2.bias"), eps)
            m = gelu_new(h @ w(p + "mlp.c_fc.weight") + w(p + "mlp.c_fc.bias"))
            x = x + drop(m @ w(p + "mlp.c_proj.weight") + w(p + "mlp.c_proj.bias"))
        x = F.layer_norm(x, (d,), w("transformer.ln_f.weight"), w("transformer.ln_f.bias"), eps)
        logits = x @ w("transformer.wte.weight").T
        return (logits, patterns) if keep_patterns else logits


def learning_rate(step):
    """Warmup, then the peak held constant, then a cosine decay over the last decay_steps steps. Only the
    decay depends on the run's length, so a run can be lengthened before its decay without changing
    any step it has already taken."""
    t = TRAIN
    if step < t["warmup_steps"]:
        return t["peak_lr"] * (step + 1) / t["warmup_steps"]
    decay_start = t["steps"] - t["decay_steps"]
    if step < decay_start:
        return t["peak_lr"]
    progress = min(1.0, (step - decay_start) / t["decay_steps"])
    floor = t["final_lr_fraction"]
    return t["peak_lr"] * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def batch_for(step, train, eot):
    """Step `step`'s batch: inputs and targets [B, T], from a generator seeded by (seed, step)."""
    T, B = MODEL["n_positions"], TRAIN["batch_size"]
    rng = np.random.default_rng([TRAIN["seed"], step])
    seqs = np.empty((B, T + 1), dtype=np.int64)
    mix = mix_at(step)
    kinds = rng.choice(3, size=B, p=[mix["natural"], mix["repeat_text"], mix["repeat_random"]])
    for b in range(B):
        start = int(rng.integers(0, len(train) - T - 1))
        window = train[start : start + T + 1].astype(np.int64)
        if kinds[b] > 0:
            n = int(rng.integers(REPEAT_SPAN[0], REPEAT_SPAN[1] + 1))
            span = window[:n] if kinds[b] == 1 else rng.integers(0, eot, size=n)
            window = np.concatenate([[eot], span, span, window[n:]])[: T + 1]
        seqs[b] = window
    ids = torch.from_numpy(seqs)
    return ids[:, :-1], ids[:, 1:]


def held_out_loss(model, held, max_windows=None):
    """Mean loss on held-out windows of n_positions tokens, every token but a window's first predicted."""
    T = MODEL["n_positions"]
    starts = list(range(0, len(held) - 1, T))
    if max_windows:
        starts = starts[:max_windows]
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(starts), 32):
            chunk = [s for s in starts[i : i + 32] if s + T <= len(held)]
            if not chunk:
                continue
            ids = torch.from_numpy(np.stack([held[s : s + T] for s in chunk]).astype(np.int64))
            logits = model(ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="sum")
            total += loss.item()
            count += ids.shape[0] * (T - 1)
    return total / count


def head_scores(model, held, eot, seeds=5, span=40):
    """Best previous-token score on held-out text (TransformerLens detect_head, "mul") and best induction
    score on [eot] + R + R, R random of `span` tokens, averaged over `seeds` seeds (ARENA's score)."""
    T = MODEL["n_positions"]
    L, H = MODEL["n_layer"], MODEL["n_head"]
    with torch.no_grad():
        ids = torch.from_numpy(np.stack([held[s : s + T] for s in range(0, 16 * T, T)]).astype(np.int64))
        _, patterns = model(ids, keep_patterns=True)
        prev = torch.stack([p.diagonal(-1, dim1=-2, dim2=-1).sum(-1) / T for p in patterns])  # [L, B, H]
        prev = prev.mean(1)
        induction = torch.zeros(L, H)
        for s in range(seeds):
            r = np.random.default_rng([12345, s]).integers(0, eot, size=span)
            probe = torch.from_numpy(np.concatenate([[eot], r, r]).astype(np.int64))[None]
            _, pats = model(probe, keep_patterns=True)
            for l, p in enumerate(pats):
                rows = torch.arange(span + 1, 2 * span + 1)
                induction[l] += p[0][:, rows, rows - span + 1].mean(-1) / seeds
    return prev, induction


def save(path, model, opt, step, seconds):
    os.makedirs(CHECKPOINTS, exist_ok=True)
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "seconds": seconds, "config": MODEL, "train": TRAIN, "mix": MIX}, tmp)
    os.replace(tmp, path)


def export(model, out_dir, summary):
    """model.safetensors (F32, HF names, no lm_head) + config.json via the package's TS exporter's format."""
    from collections import OrderedDict
    import struct

    tensors = OrderedDict((k, v.detach().contiguous().float().numpy()) for k, v in model.named_hf())
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for k, a in tensors.items():
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "weights.safetensors")
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for a in tensors.values():
            f.write(a.astype("<f4").tobytes())
    os.replace(path + ".tmp", path)
    json.dump(summary, open(os.path.join(out_dir, "run.json"), "w"), indent=2)


def load(path, model, opt):
    ck = torch.load(path)
    # Phases that start after the checkpoint may still change: the steps it took are the same.
    taken = lambda mix: [phase for phase in mix if phase["from_step"] <= ck["step"]]
    if ck["config"] != MODEL or ck["train"]["seed"] != TRAIN["seed"] or taken(ck["mix"]) != taken(MIX):
        sys.exit(f"{os.path.relpath(path, ROOT)} is for another model, seed or mixture: run with --fresh")
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    return ck["step"], ck["seconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fresh", action="store_true", help="start from step 0")
    ap.add_argument("--steps", type=int, default=TRAIN["steps"], help="the run's length N (its last decay_steps steps decay the rate); default from hparams.json")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-minutes", type=float, default=float("inf"), help="stop (with a checkpoint) after this long")
    ap.add_argument("--export-only", action="store_true", help="export the run's last checkpoint without training")
    ap.add_argument("--save-resume", action="store_true", help="copy the shared checkpoint and its log to training/resume/ (committed), then stop")
    args = ap.parse_args()
    if args.save_resume:
        os.makedirs(RESUME, exist_ok=True)
        for path in (MAIN_CHECKPOINT, MAIN_LOG):
            shutil.copyfile(path, os.path.join(RESUME, os.path.basename(path)))
        print(f"copied {os.path.relpath(MAIN_CHECKPOINT, ROOT)} and its log to {os.path.relpath(RESUME, ROOT)}/", flush=True)
        return
    if not args.fresh and not os.path.exists(MAIN_CHECKPOINT) and os.path.exists(os.path.join(RESUME, "torch.pt")):
        os.makedirs(CHECKPOINTS, exist_ok=True)
        for path in (MAIN_CHECKPOINT, MAIN_LOG):
            shutil.copyfile(os.path.join(RESUME, os.path.basename(path)), path)
        print(f"continuing the committed run in {os.path.relpath(RESUME, ROOT)}/", flush=True)
    TRAIN["steps"] = args.steps
    decay_start = args.steps - TRAIN["decay_steps"]
    torch.set_num_threads(args.threads)
    torch.manual_seed(TRAIN["seed"])
    info, train, held = load_tokens()
    eot = info["end_of_text_id"]
    model = GPT2(MODEL, TRAIN["seed"])
    decay = [p for n, p in model.named_hf() if n.endswith(".weight") and p.dim() == 2 and "wpe" not in n]
    no_decay = [p for n, p in model.named_hf() if not (n.endswith(".weight") and p.dim() == 2 and "wpe" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": TRAIN["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}], lr=TRAIN["peak_lr"], betas=TRAIN["betas"])
    step, seconds = 0, 0.0
    if args.fresh:
        for path in [MAIN_LOG, MAIN_CHECKPOINT] + [os.path.join(CHECKPOINTS, f) for f in os.listdir(CHECKPOINTS) if f.startswith(("decay-", "log-decay-"))] if os.path.isdir(CHECKPOINTS) else []:
            if os.path.exists(path):
                os.remove(path)
    if os.path.exists(decay_checkpoint(args.steps)):
        step, seconds = load(decay_checkpoint(args.steps), model, opt)
    elif os.path.exists(MAIN_CHECKPOINT):
        step, seconds = load(MAIN_CHECKPOINT, model, opt)
        if step > decay_start:
            sys.exit(f"the shared checkpoint is at step {step}, past where a {args.steps}-step run starts its decay ({decay_start}): choose more --steps")
    if step:
        print(f"resumed at step {step}", flush=True)
    # Where this phase's checkpoints and log go: shared until the decay starts, then this length's own.
    checkpoint_for = lambda s: MAIN_CHECKPOINT if s <= decay_start else decay_checkpoint(args.steps)
    log_for = lambda s: MAIN_LOG if s <= decay_start else decay_log(args.steps)
    started = time.time()
    run_start, window_loss, window_steps, window_start = time.time(), 0.0, 0, time.time()
    while step < TRAIN["steps"] and not args.export_only:
        if (time.time() - started) / 60 > args.max_minutes:
            save(checkpoint_for(step), model, opt, step, seconds + time.time() - run_start)
            print(f"stopped at step {step}; run again to resume", flush=True)
            return
        # Each step's dropout masks come from (seed, step) too, so a resumed run matches an unbroken one.
        torch.manual_seed(TRAIN["seed"] * 100003 + step)
        for group in opt.param_groups:
            group["lr"] = learning_rate(step)
        inputs, targets = batch_for(step, train, eot)
        logits = model(inputs, dropout=TRAIN["dropout"])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), TRAIN["grad_clip"]).item()
        opt.step()
        step += 1
        window_loss += loss.item()
        window_steps += 1
        if step % TRAIN["log_every"] == 0 or step == TRAIN["steps"]:
            elapsed = time.time() - window_start
            entry = dict(step=step, lr=learning_rate(step - 1), train_loss=window_loss / window_steps, grad_norm=grad_norm, tokens_per_s=window_steps * TRAIN["batch_size"] * MODEL["n_positions"] / elapsed, elapsed_s=round(seconds + time.time() - run_start, 1))
            if step % TRAIN["eval_every"] == 0 or step == TRAIN["steps"]:
                entry["held_out_loss"] = held_out_loss(model, held, TRAIN["eval_windows"])
                prev, ind = head_scores(model, held, eot)
                entry["best_previous_token"] = prev.max().item()
                entry["best_induction"] = ind.max().item()
            with open(log_for(step), "a") as f:
                f.write(json.dumps(entry) + "\n")
            print(" ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in entry.items()), flush=True)
            window_loss, window_steps, window_start = 0.0, 0, time.time()
        if step % TRAIN["checkpoint_every"] == 0 or step == decay_start:
            save(checkpoint_for(step), model, opt, step, seconds + time.time() - run_start)
    total_seconds = seconds + (0 if args.export_only else time.time() - run_start)
    save(checkpoint_for(step), model, opt, step, total_seconds)
    print("evaluating on the whole held-out split…", flush=True)
    loss = held_out_loss(model, held)
    prev, ind = head_scores(model, held, eot)
    summary = dict(model=MODEL, train=TRAIN, mix=MIX, repeat_span=REPEAT_SPAN, steps=step, minutes=round(total_seconds / 60, 1), held_out_loss_full_windows=loss, previous_token=prev.tolist(), induction=ind.tolist(), torch=torch.__version__, threads=args.threads)
    export(model, os.path.join(CHECKPOINTS, "export"), summary)
    print(json.dumps({k: summary[k] for k in ("steps", "minutes", "held_out_loss_full_windows")}), flush=True)
    print(f"best previous-token {prev.max().item():.3f}, best induction {ind.max().item():.3f}", flush=True)


if __name__ == "__main__":
    main()
