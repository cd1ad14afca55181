#!/usr/bin/env python3
"""Independent float64 reference ("oracle") for the GLM-4.5 MoE forward pass (Glm4MoeForCausalLM).

Written from the project spec (glm45-model.md, sections 1-6 and 10) only. Pure python3 + numpy.

What it computes
  * full-sequence causal forward over a prompt -> logits for every position (no KV cache; the whole
    sequence is recomputed, which is exactly equivalent for a causal model);
  * greedy continuation of N tokens (full forward re-run per step);
  * the MTP / NextN draft logits at the last prompt position, in two conventions:
      - "sglang": no masking (the convention the engine follows);
      - "vllm":   the MTP input embedding is zeroed at RoPE position 0.
    The MTP layer has its own attention, so its "KV cache" is filled over all prompt positions:
    MTP position i takes (h_i, t_{i+1}), t_{i+1} being the next prompt token, or the main model's greedy
    next token for the last position. The draft at the last position predicts token T+1.
  * routing statistics over the main-model MoE layers for the prompt.

Usage
  python3 glm45_oracle.py --model DIR --tokens 1,2,3 --greedy 16 --out golden.json
"""
import argparse
import hashlib
import json
import os
import struct
import sys

import numpy as np


# ----------------------------------------------------------------------------------------------
# Checkpoint loading (safetensors parsed by hand)
# ----------------------------------------------------------------------------------------------

def read_safetensors(path):
    """Return {name: np.ndarray(float64)} for one .safetensors file (F32 / F16 / BF16 supported)."""
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len).decode("utf-8"))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[start:end]
        dtype = info["dtype"]
        shape = tuple(info["shape"])
        if dtype == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(raw, dtype="<f2")
        elif dtype == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        elif dtype == "F64":
            arr = np.frombuffer(raw, dtype="<f8")
        else:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        tensors[name] = arr.astype(np.float64).reshape(shape)
    return tensors


def load_checkpoint(model_dir):
    """Load every tensor of a HF checkpoint directory (single file or sharded with an index)."""
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    single_path = os.path.join(model_dir, "model.safetensors")
    weights = {}
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        for shard in sorted(set(weight_map.values())):
            weights.update(read_safetensors(os.path.join(model_dir, shard)))
        missing = set(weight_map) - set(weights)
        if missing:
            raise ValueError(f"tensors listed in the index but not found in shards: {sorted(missing)[:5]}")
    elif os.path.exists(single_path):
        weights = read_safetensors(single_path)
    else:
        raise FileNotFoundError(f"no model.safetensors or model.safetensors.index.json in {model_dir}")
    return weights


class Config:
    """The config fields the forward pass needs, with both RoPE config forms accepted."""

    def __init__(self, cfg):
        self.raw = cfg
        self.vocab_size = cfg["vocab_size"]
        self.hidden_size = cfg["hidden_size"]
        self.num_hidden_layers = cfg["num_hidden_layers"]
        self.num_attention_heads = cfg["num_attention_heads"]
        self.num_key_value_heads = cfg["num_key_value_heads"]
        self.head_dim = cfg.get("head_dim") or self.hidden_size // self.num_attention_heads
        self.intermediate_size = cfg["intermediate_size"]
        self.moe_intermediate_size = cfg["moe_intermediate_size"]
        self.n_routed_experts = cfg["n_routed_experts"]
        self.n_shared_experts = cfg.get("n_shared_experts", 1)
        self.num_experts_per_tok = cfg["num_experts_per_tok"]
        self.n_group = cfg.get("n_group", 1) or 1
        self.topk_group = cfg.get("topk_group", 1) or 1
        self.first_k_dense_replace = cfg.get("first_k_dense_replace", 1)
        self.norm_topk_prob = cfg.get("norm_topk_prob", True)
        self.routed_scaling_factor = float(cfg.get("routed_scaling_factor", 1.0))
        self.attention_bias = cfg.get("attention_bias", False)
        self.use_qk_norm = cfg.get("use_qk_norm", False)
        self.rms_norm_eps = float(cfg.get("rms_norm_eps", 1e-5))
        self.num_nextn_predict_layers = cfg.get("num_nextn_predict_layers", 0)
        rope = cfg.get("rope_parameters")
        if isinstance(rope, dict):
            rope_type = rope.get("rope_type", rope.get("type", "default"))
            if rope_type != "default":
                raise ValueError(f"unsupported rope_type {rope_type}")
            self.rope_theta = float(rope.get("rope_theta", cfg.get("rope_theta", 10000.0)))
            self.partial_rotary_factor = float(
                rope.get("partial_rotary_factor", cfg.get("partial_rotary_factor", 0.5)))
        else:
            self.rope_theta = float(cfg.get("rope_theta", 10000.0))
            self.partial_rotary_factor = float(cfg.get("partial_rotary_factor", 0.5))
        if cfg.get("rope_scaling"):
            raise ValueError("rope_scaling is not supported by this oracle")
        self.rotary_dim = int(self.head_dim * self.partial_rotary_factor)


# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------

def rms_norm(x, weight, eps):
    """RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight (weight is not 1+w)."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def silu(z):
    return z / (1.0 + np.exp(-z))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def swiglu_mlp(x, gate_w, up_w, down_w):
    """W_down · (SiLU(W_gate x) ⊙ W_up x), no biases. x: [T, H]."""
    return (silu(x @ gate_w.T) * (x @ up_w.T)) @ down_w.T


def apply_partial_neox_rope(x, positions, rotary_dim, theta):
    """Rotate the first rotary_dim dims of every head (half-split / NeoX pairing). x: [T, heads, D]."""
    half = rotary_dim // 2
    inv_freq = 1.0 / theta ** (np.arange(0, rotary_dim, 2, dtype=np.float64) / rotary_dim)  # [half]
    angle = np.asarray(positions, dtype=np.float64)[:, None] * inv_freq[None, :]             # [T, half]
    cos = np.cos(angle)[:, None, :]   # broadcast over heads
    sin = np.sin(angle)[:, None, :]
    x1 = x[..., :half]
    x2 = x[..., half:rotary_dim]
    out = x.copy()
    out[..., :half] = x1 * cos - x2 * sin
    out[..., half:rotary_dim] = x2 * cos + x1 * sin
    return out


def topk_lowest_index_ties(values, k):
    """Indices of the k largest values; among equal values the lowest index wins."""
    order = sorted(range(len(values)), key=lambda e: (-values[e], e))
    return order[:k]


# ----------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------

class Glm4MoeOracle:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = Config(json.load(f))
        self.w = load_checkpoint(model_dir)
        self.model_dir = model_dir
        self.reset_routing_stats()
        # smallest routing gaps over every MoE evaluation (prompt, greedy steps, MTP layer)
        self.all_min_margins = (float("inf"), float("inf"))

    # -- routing statistics ------------------------------------------------------------------
    def reset_routing_stats(self):
        self.routing_stats = {"moe_tokens": 0, "bias_changed_selection": 0,
                              "group_mask_changed_selection": 0, "negative_choice_scores": 0,
                              "bias_changed_selection_group_limited": 0,
                              "min_topk_margin": float("inf"), "min_group_margin": float("inf")}

    # -- attention ---------------------------------------------------------------------------
    def attention(self, a, positions, p):
        c, w = self.cfg, self.w
        T = a.shape[0]
        Hq, Hkv, D = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        q = a @ w[p + "self_attn.q_proj.weight"].T
        k = a @ w[p + "self_attn.k_proj.weight"].T
        v = a @ w[p + "self_attn.v_proj.weight"].T
        if c.attention_bias:
            q = q + w[p + "self_attn.q_proj.bias"]
            k = k + w[p + "self_attn.k_proj.bias"]
            v = v + w[p + "self_attn.v_proj.bias"]
        q = q.reshape(T, Hq, D)
        k = k.reshape(T, Hkv, D)
        v = v.reshape(T, Hkv, D)
        if c.use_qk_norm:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], c.rms_norm_eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], c.rms_norm_eps)
        q = apply_partial_neox_rope(q, positions, c.rotary_dim, c.rope_theta)
        k = apply_partial_neox_rope(k, positions, c.rotary_dim, c.rope_theta)

        group = Hq // Hkv
        pos = np.asarray(positions)
        visible = pos[None, :] <= pos[:, None]          # [query i, key j]
        out = np.zeros((T, Hq, D))
        for h in range(Hq):
            g = h // group
            scores = (q[:, h, :] @ k[:, g, :].T) * (D ** -0.5)   # [T, T]
            scores = np.where(visible, scores, -np.inf)
            scores = scores - scores.max(axis=1, keepdims=True)
            probs = np.exp(scores)
            probs = probs / probs.sum(axis=1, keepdims=True)
            out[:, h, :] = probs @ v[:, g, :]
        return out.reshape(T, Hq * D) @ w[p + "self_attn.o_proj.weight"].T

    # -- MoE ---------------------------------------------------------------------------------
    def select_experts(self, choice_scores, use_group_limit=True):
        """Group-limited top-k on the selection scores (bias already added if wanted)."""
        c = self.cfg
        E, K = c.n_routed_experts, c.num_experts_per_tok
        scores = np.array(choice_scores, dtype=np.float64)
        if use_group_limit and c.n_group > 1:
            per_group = E // c.n_group
            group_scores = []
            for gi in range(c.n_group):
                grp = scores[gi * per_group:(gi + 1) * per_group]
                top2 = sorted(grp, reverse=True)[:2]
                group_scores.append(sum(top2))
            kept_groups = topk_lowest_index_ties(group_scores, c.topk_group)
            for gi in range(c.n_group):
                if gi not in kept_groups:
                    scores[gi * per_group:(gi + 1) * per_group] = -np.inf
        return topk_lowest_index_ties(list(scores), K)

    def selection_margins(self, choice_scores):
        """Near-tie diagnostics: gap between the K-th and (K+1)-th selection score among the experts of
        the kept groups, and gap between the topk_group-th and next group score (inf if no grouping)."""
        c = self.cfg
        E, K = c.n_routed_experts, c.num_experts_per_tok
        gap_g = float("inf")
        allowed = np.ones(E, dtype=bool)
        if c.n_group > 1:
            per_group = E // c.n_group
            gscores = np.array([np.sort(choice_scores[g * per_group:(g + 1) * per_group])[-2:].sum()
                                for g in range(c.n_group)])
            order = np.sort(gscores)[::-1]
            gap_g = float(order[c.topk_group - 1] - order[c.topk_group])
            kept = topk_lowest_index_ties(list(gscores), c.topk_group)
            allowed[:] = False
            for g in kept:
                allowed[g * per_group:(g + 1) * per_group] = True
        vals = np.sort(choice_scores[allowed])[::-1]
        gap_k = float(vals[K - 1] - vals[K]) if len(vals) > K else float("inf")
        return gap_k, gap_g

    def moe(self, m, p, collect_stats):
        c, w = self.cfg, self.w
        T = m.shape[0]
        router_logits = m @ w[p + "mlp.gate.weight"].T                   # [T, E], no bias
        s = sigmoid(router_logits)                                         # scores
        bias = w[p + "mlp.gate.e_score_correction_bias"]
        choice = s + bias                                                  # selection scores
        y = np.zeros_like(m)
        for t in range(T):
            idx = self.select_experts(choice[t])
            weights = s[t, idx]                                            # unbiased scores
            if c.norm_topk_prob:
                weights = weights / (weights.sum() + 1e-20)
            weights = weights * c.routed_scaling_factor
            gap_k, gap_g = self.selection_margins(choice[t])
            self.all_min_margins = (min(self.all_min_margins[0], gap_k), min(self.all_min_margins[1], gap_g))
            if collect_stats:
                st = self.routing_stats
                st["moe_tokens"] += 1
                # Definitions follow the shipped fixtures A/B: "bias changed" compares with plain top-k
                # over the unbiased sigmoid scores (no bias AND no group limit); the *_group_limited
                # variant keeps the group limit (computed from the unbiased scores) in the reference.
                if set(idx) != set(self.select_experts(s[t], use_group_limit=False)):
                    st["bias_changed_selection"] += 1
                if set(idx) != set(self.select_experts(s[t])):
                    st["bias_changed_selection_group_limited"] += 1
                if set(idx) != set(self.select_experts(choice[t], use_group_limit=False)):
                    st["group_mask_changed_selection"] += 1
                if np.any(choice[t] < 0):
                    st["negative_choice_scores"] += 1
                st["min_topk_margin"] = min(st["min_topk_margin"], gap_k)
                st["min_group_margin"] = min(st["min_group_margin"], gap_g)
            for e, wk in sorted(zip(idx, weights)):                         # ascending expert id
                ep = f"{p}mlp.experts.{e}."
                y[t] += wk * swiglu_mlp(m[t:t + 1], w[ep + "gate_proj.weight"],
                                        w[ep + "up_proj.weight"], w[ep + "down_proj.weight"])[0]
        sp = p + "mlp.shared_experts."
        y += swiglu_mlp(m, w[sp + "gate_proj.weight"], w[sp + "up_proj.weight"], w[sp + "down_proj.weight"])
        return y

    # -- decoder layer -----------------------------------------------------------------------
    def decoder_layer(self, x, positions, layer_index, is_moe, collect_stats):
        c, w = self.cfg, self.w
        p = f"model.layers.{layer_index}."
        a = rms_norm(x, w[p + "input_layernorm.weight"], c.rms_norm_eps)
        x = x + self.attention(a, positions, p)
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], c.rms_norm_eps)
        if is_moe:
            x = x + self.moe(m, p, collect_stats)
        else:
            x = x + swiglu_mlp(m, w[p + "mlp.gate_proj.weight"], w[p + "mlp.up_proj.weight"],
                               w[p + "mlp.down_proj.weight"])
        return x

    # -- main model --------------------------------------------------------------------------
    def forward(self, tokens, collect_stats=False):
        """Return (h, logits): final-normed hidden states [T, H] and logits [T, V]."""
        c, w = self.cfg, self.w
        positions = list(range(len(tokens)))
        x = w["model.embed_tokens.weight"][np.asarray(tokens)]
        for layer in range(c.num_hidden_layers):
            x = self.decoder_layer(x, positions, layer, layer >= c.first_k_dense_replace, collect_stats)
        h = rms_norm(x, w["model.norm.weight"], c.rms_norm_eps)
        logits = h @ w["lm_head.weight"].T
        return h, logits

    def greedy(self, tokens, n):
        """Greedy continuation; also records the smallest top-1 minus top-2 logit gap seen."""
        seq = list(tokens)
        out = []
        self.greedy_min_margin = float("inf")
        for _ in range(n):
            _, logits = self.forward(seq)
            nxt = int(np.argmax(logits[-1]))
            top2 = np.sort(logits[-1])[-2:]
            self.greedy_min_margin = min(self.greedy_min_margin, float(top2[1] - top2[0]))
            out.append(nxt)
            seq.append(nxt)
        return out

    # -- MTP / NextN layer -------------------------------------------------------------------
    def mtp_logits(self, h, next_tokens, zero_embedding_at_position0):
        """Draft logits for every position i from (h_i, next_tokens[i]), MTP attention over all positions.

        h: final-normed main hidden states [T, H]; next_tokens[i] = t_{i+1}. Returns [T, V].
        """
        c, w = self.cfg, self.w
        L = c.num_hidden_layers
        p = f"model.layers.{L}."
        embed = w.get(p + "embed_tokens.weight", w["model.embed_tokens.weight"])
        head = w.get(p + "shared_head.head.weight", w["lm_head.weight"])
        positions = list(range(h.shape[0]))
        e = embed[np.asarray(next_tokens)].copy()
        if zero_embedding_at_position0:
            e[np.asarray(positions) == 0] = 0.0
        u = np.concatenate([rms_norm(e, w[p + "enorm.weight"], c.rms_norm_eps),
                            rms_norm(h, w[p + "hnorm.weight"], c.rms_norm_eps)], axis=-1)
        x = u @ w[p + "eh_proj.weight"].T
        x = self.decoder_layer(x, positions, L, is_moe=True, collect_stats=False)
        g = rms_norm(x, w[p + "shared_head.norm.weight"], c.rms_norm_eps)
        return g @ head.T


# ----------------------------------------------------------------------------------------------
# Golden output
# ----------------------------------------------------------------------------------------------

def f32_list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32)]


def finite_or_none(v):
    return float(v) if np.isfinite(v) else None


def sha256_file(path):
    hsh = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            hsh.update(chunk)
    return hsh.hexdigest()


def make_golden(model_dir, tokens, n_greedy, name=None, make_cmd=None):
    oracle = Glm4MoeOracle(model_dir)
    c = oracle.cfg
    oracle.reset_routing_stats()
    h, logits = oracle.forward(tokens, collect_stats=True)
    # JSON has no Infinity: a margin that was never defined (e.g. no grouping) is written as null
    stats = {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
             for k, v in oracle.routing_stats.items()}
    argmax = [int(i) for i in np.argmax(logits, axis=-1)]
    top2 = np.sort(logits, axis=-1)[:, -2:]
    argmax_min_margin = float(np.min(top2[:, 1] - top2[:, 0]))
    greedy_tokens = oracle.greedy(tokens, n_greedy)
    next_token = argmax[-1]

    mtp = {"description": "NextN layer draft logits for the LAST prompt position: predicts token T+1 "
                          "(the one after the greedy next token) from the final-normed hidden state at T-1 "
                          "and the embedding of the greedy next token. The MTP layer's attention covers all "
                          "prompt positions: MTP position i takes (h_i, t_{i+1}), t_T = greedy next token. "
                          "'vllm' zeroes the MTP input embedding at position 0; 'sglang' does not.",
           "next_token": next_token}
    if c.num_nextn_predict_layers and f"model.layers.{c.num_hidden_layers}.eh_proj.weight" in oracle.w:
        next_tokens = list(tokens[1:]) + [next_token]
        mtp_sglang = oracle.mtp_logits(h, next_tokens, zero_embedding_at_position0=False)
        mtp_vllm = oracle.mtp_logits(h, next_tokens, zero_embedding_at_position0=True)
        mtp["logits_last_sglang"] = f32_list(mtp_sglang[-1])
        mtp["logits_last_vllm"] = f32_list(mtp_vllm[-1])
        mtp["argmax_all_positions_sglang"] = [int(i) for i in np.argmax(mtp_sglang, axis=-1)]
        mtp["argmax_all_positions_vllm"] = [int(i) for i in np.argmax(mtp_vllm, axis=-1)]

    files = sorted(f for f in os.listdir(model_dir)
                   if f == "config.json" or f.endswith(".safetensors") or f.endswith(".index.json"))
    golden = {}
    if name:
        golden["name"] = name
    if make_cmd:
        golden["make_model_cmd"] = make_cmd
    golden.update({
        "generator": "tools/oracle/glm45_oracle.py (float64 numpy reference)",
        "config": c.raw,
        "sha256": {f: sha256_file(os.path.join(model_dir, f)) for f in files},
        "numpy_version": np.__version__,
        "tokens": [int(t) for t in tokens],
        "logits_positions": list(range(len(tokens))),
        "logits_shape": [len(tokens), c.vocab_size],
        "logits": [f32_list(row) for row in logits],
        "argmax": argmax,
        f"greedy_{n_greedy}": greedy_tokens,
        "mtp": mtp,
        "routing_stats": stats,
        "margins": {"note": "near-tie diagnostics (float64): smallest top1-top2 logit gap over prompt "
                            "positions and over greedy steps; routing gaps are in routing_stats "
                            "(min_topk_margin / min_group_margin over the prompt's main-model MoE tokens); "
                            "*_all covers every MoE evaluation (prompt, greedy re-runs, MTP layer)",
                    "argmax_min_margin": argmax_min_margin,
                    "greedy_min_margin": oracle.greedy_min_margin,
                    "routing_min_topk_margin_all": finite_or_none(oracle.all_min_margins[0]),
                    "routing_min_group_margin_all": finite_or_none(oracle.all_min_margins[1])},
    })
    return golden


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="checkpoint directory (config.json + safetensors)")
    ap.add_argument("--tokens", required=True, help="comma-separated prompt token ids")
    ap.add_argument("--greedy", type=int, default=16, help="number of greedy tokens to generate")
    ap.add_argument("--out", required=True, help="output JSON path")
    ap.add_argument("--name", default=None, help="optional name stored in the JSON")
    ap.add_argument("--make-cmd", default=None, help="optional command that made the checkpoint")
    args = ap.parse_args(argv)
    tokens = [int(t) for t in args.tokens.split(",") if t.strip()]
    golden = make_golden(args.model, tokens, args.greedy, name=args.name, make_cmd=args.make_cmd)
    with open(args.out, "w") as f:
        json.dump(golden, f, allow_nan=False)
    print(f"wrote {args.out}: {len(tokens)} tokens, argmax[-1]={golden['argmax'][-1]}, "
          f"greedy_{args.greedy}={golden['greedy_' + str(args.greedy)]}, routing={golden['routing_stats']}")


if __name__ == "__main__":
    sys.exit(main())
