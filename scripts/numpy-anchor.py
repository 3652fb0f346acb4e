#!/usr/bin/env python3
"""The bench's anchor: one GPT-2 forward pass in numpy float32 that keeps every activation.

usage: numpy-anchor.py CHECKPOINT_DIR N_TOKENS

Reads CHECKPOINT_DIR/model.safetensors memory-mapped (HF key layout, with or without the
`transformer.` prefix) and CHECKPOINT_DIR/config.json, runs the token ids (i * 7919) % n_vocab for
i < N_TOKENS (the ids the bench gives Vectorview), keeps every hook Vectorview's trace records,
unembeds the last position and prints one JSON line: load_ms, forward_ms, kept_bytes, and blas (the
BLAS library the process loaded: Debian's numpy runs on the slow reference BLAS unless OpenBLAS is
installed, which would make the anchor 2–3× slower and every ratio flattering).
"""
import json
import math
import os
import sys
import time

import numpy as np


def loaded_blas() -> str:
    """The file name of the BLAS shared library mapped into this process, or "unknown"."""
    with open("/proc/self/maps") as maps:
        names = {os.path.basename(line.split()[-1]) for line in maps if "blas" in line.lower()}
    return ", ".join(sorted(names)) or "unknown"


def main() -> None:
    folder, n = sys.argv[1], int(sys.argv[2])
    start = time.perf_counter()
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    path = os.path.join(folder, "model.safetensors")
    with open(path, "rb") as f:
        header_length = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_length))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_length)

    def weight(name: str) -> np.ndarray:
        entry = header.get(name) or header["transformer." + name]
        begin, end = entry["data_offsets"]
        return data[begin:end].view(np.float32).reshape(entry["shape"])

    d, heads, layers = config["n_embd"], config["n_head"], config["n_layer"]
    dh = d // heads
    eps = config.get("layer_norm_epsilon", 1e-5)
    wte, wpe = weight("wte.weight"), weight("wpe.weight")
    load_ms = (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    kept = {}

    def layer_norm(x: np.ndarray, prefix: str, name: str) -> np.ndarray:
        centred = x - x.mean(-1, keepdims=True)
        scale = np.sqrt((centred * centred).mean(-1, keepdims=True) + eps)
        normalized = centred / scale
        out = normalized * weight(f"{prefix}.weight") + weight(f"{prefix}.bias")
        kept.update({f"{name}.hook_scale": scale, f"{name}.hook_normalized": normalized, f"{name}.hook_out": out})
        return out

    ids = np.array([(i * 7919) % wte.shape[0] for i in range(n)])
    embed, pos = wte[ids], wpe[:n]
    kept.update(hook_embed=embed, hook_pos_embed=pos)
    resid = embed + pos
    mask = np.triu(np.full((n, n), -np.inf, dtype=np.float32), 1)
    for l in range(layers):
        p = f"h.{l}"
        kept[f"blocks.{l}.hook_resid_pre"] = resid
        x = layer_norm(resid, f"{p}.ln_1", f"blocks.{l}.ln1")
        qkv = x @ weight(f"{p}.attn.c_attn.weight") + weight(f"{p}.attn.c_attn.bias")
        q, k, v = (t.reshape(n, heads, dh).transpose(1, 0, 2) for t in np.split(qkv, 3, axis=1))
        scores = q @ k.transpose(0, 2, 1) / np.float32(math.sqrt(dh)) + mask
        pattern = np.exp(scores - scores.max(-1, keepdims=True))
        pattern /= pattern.sum(-1, keepdims=True)
        z = pattern @ v
        w_o = weight(f"{p}.attn.c_proj.weight")
        result = np.einsum("hnk,hkd->nhd", z, w_o.reshape(heads, dh, d))
        attn_out = z.transpose(1, 0, 2).reshape(n, d) @ w_o + weight(f"{p}.attn.c_proj.bias")
        mid = resid + attn_out
        x = layer_norm(mid, f"{p}.ln_2", f"blocks.{l}.ln2")
        pre = x @ weight(f"{p}.mlp.c_fc.weight") + weight(f"{p}.mlp.c_fc.bias")
        post = 0.5 * pre * (1 + np.tanh(np.float32(math.sqrt(2 / math.pi)) * (pre + np.float32(0.044715) * pre**3)))
        mlp_out = post @ weight(f"{p}.mlp.c_proj.weight") + weight(f"{p}.mlp.c_proj.bias")
        resid = mid + mlp_out
        kept.update({f"blocks.{l}.{k}": t for k, t in [("attn.hook_q", q), ("attn.hook_k", k), ("attn.hook_v", v), ("attn.hook_attn_scores", scores), ("attn.hook_pattern", pattern), ("attn.hook_z", z), ("attn.hook_result", result), ("hook_attn_out", attn_out), ("hook_resid_mid", mid), ("mlp.hook_pre", pre), ("mlp.hook_post", post), ("hook_mlp_out", mlp_out), ("hook_resid_post", resid)]})
    x = layer_norm(resid, "ln_f", "ln_final")
    kept["logits"] = x[-1:] @ wte.T
    forward_ms = (time.perf_counter() - start) * 1000
    assert all(t.dtype == np.float32 for t in kept.values()), "the anchor must stay in float32"
    print(json.dumps({"load_ms": round(load_ms, 1), "forward_ms": round(forward_ms, 1), "kept_bytes": sum(t.nbytes for t in kept.values()), "blas": loaded_blas()}))


if __name__ == "__main__":
    main()
