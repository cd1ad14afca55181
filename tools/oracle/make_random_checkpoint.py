#!/usr/bin/env python3
"""Write a random GLM-4.5-architecture checkpoint (Glm4MoeForCausalLM) in the exact Hugging Face layout.

Output: config.json plus either model.safetensors, or N shards model-0000i-of-0000N.safetensors with
model.safetensors.index.json. Tensor names follow the spec section 6, including the MTP/NextN layer at
index num_hidden_layers (enorm, hnorm, eh_proj, a full MoE decoder block, shared_head.norm and, unless
--omit-mtp-copies is given (GLM-4.6 style), shared_head.head and embed_tokens copies).

Weights: matrices ~ N(0, std^2); norm weights 1 + 0.1*N(0,1); e_score_correction_bias ~ N(0, bias_std^2)
so that the bias actually changes expert selection. e_score_correction_bias is always stored as F32
(as HF keeps it); every other tensor uses --dtype (BF16 by round-to-nearest-even from float32).

Example (fixture C):
  python3 make_random_checkpoint.py --out out/glm4moe-tiny-c --seed 3 --hidden-size 128 ...
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


# ----------------------------------------------------------------------------------------------
# dtype conversion and safetensors writing
# ----------------------------------------------------------------------------------------------

def float32_to_bf16_bits(x):
    """float32 -> bfloat16 bit patterns (uint16), round to nearest, ties to even."""
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounding = 0x7FFF + ((bits >> 16) & 1)
    return ((bits + rounding) >> 16).astype(np.uint16)


def encode(arr, dtype):
    """Return (safetensors dtype string, raw little-endian bytes) for a float32 array."""
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if dtype == "F32":
        return "F32", arr.astype("<f4").tobytes()
    if dtype == "F16":
        return "F16", arr.astype("<f2").tobytes()
    if dtype == "BF16":
        return "BF16", float32_to_bf16_bits(arr).astype("<u2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype_str, shape, raw_bytes) in file order."""
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)   # pad header to 8-byte alignment
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for _, _, _, raw in tensors:
            f.write(raw)
    return offset


# ----------------------------------------------------------------------------------------------
# Random weights
# ----------------------------------------------------------------------------------------------

def build_tensors(cfg, rng, std, router_std, bias_std, omit_mtp_copies):
    """Return an ordered list of (name, float32 array) for the whole checkpoint."""
    H = cfg["hidden_size"]
    V = cfg["vocab_size"]
    Hq, Hkv, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    I, Im = cfg["intermediate_size"], cfg["moe_intermediate_size"]
    E, n_shared = cfg["n_routed_experts"], cfg["n_shared_experts"]
    L = cfg["num_hidden_layers"]
    out = []

    def mat(name, rows, cols, s=std):
        out.append((name, (rng.standard_normal((rows, cols)) * s).astype(np.float32)))

    def vec(name, n, s=std):
        out.append((name, (rng.standard_normal(n) * s).astype(np.float32)))

    def norm(name, n):
        out.append((name, (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)))

    def attention_and_norms(p):
        norm(p + "input_layernorm.weight", H)
        mat(p + "self_attn.q_proj.weight", Hq * D, H)
        mat(p + "self_attn.k_proj.weight", Hkv * D, H)
        mat(p + "self_attn.v_proj.weight", Hkv * D, H)
        if cfg["attention_bias"]:
            vec(p + "self_attn.q_proj.bias", Hq * D)
            vec(p + "self_attn.k_proj.bias", Hkv * D)
            vec(p + "self_attn.v_proj.bias", Hkv * D)
        mat(p + "self_attn.o_proj.weight", H, Hq * D)
        if cfg["use_qk_norm"]:
            norm(p + "self_attn.q_norm.weight", D)
            norm(p + "self_attn.k_norm.weight", D)
        norm(p + "post_attention_layernorm.weight", H)

    def mlp(p, width):
        mat(p + "gate_proj.weight", width, H)
        mat(p + "up_proj.weight", width, H)
        mat(p + "down_proj.weight", H, width)

    def moe(p):
        for e in range(E):
            mlp(f"{p}mlp.experts.{e}.", Im)
        mat(p + "mlp.gate.weight", E, H, router_std)
        vec(p + "mlp.gate.e_score_correction_bias", E, bias_std)
        mlp(p + "mlp.shared_experts.", Im * n_shared)

    mat("model.embed_tokens.weight", V, H)
    for layer in range(L):
        p = f"model.layers.{layer}."
        attention_and_norms(p)
        if layer < cfg["first_k_dense_replace"]:
            mlp(p + "mlp.", I)
        else:
            moe(p)
    norm("model.norm.weight", H)
    mat("lm_head.weight", V, H)
    for k in range(cfg["num_nextn_predict_layers"]):
        p = f"model.layers.{L + k}."
        if not omit_mtp_copies:
            # GLM-4.5 stores copies of the main embedding / lm_head; GLM-4.6 omits them.
            emb = dict(out)["model.embed_tokens.weight"]
            out.append((p + "embed_tokens.weight", emb.copy()))
        norm(p + "enorm.weight", H)
        norm(p + "hnorm.weight", H)
        mat(p + "eh_proj.weight", H, 2 * H)
        norm(p + "shared_head.norm.weight", H)
        if not omit_mtp_copies:
            out.append((p + "shared_head.head.weight", dict(out)["lm_head.weight"].copy()))
        attention_and_norms(p)
        moe(p)
    return out


def make_config(a):
    dtype_name = {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}[a.dtype]
    cfg = {
        "architectures": ["Glm4MoeForCausalLM"],
        "model_type": "glm4_moe",
        "attention_bias": a.attention_bias,
        "attention_dropout": 0.0,
        "pad_token_id": 0,
        "eos_token_id": [1],
        "bos_token_id": None,
        "head_dim": a.head_dim,
        "hidden_act": "silu",
        "hidden_size": a.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": a.intermediate_size,
        "max_position_embeddings": a.max_position_embeddings,
        "moe_intermediate_size": a.moe_intermediate_size,
        "n_group": a.n_group,
        "n_routed_experts": a.n_routed_experts,
        "n_shared_experts": a.n_shared_experts,
        "norm_topk_prob": a.norm_topk_prob,
        "num_attention_heads": a.num_attention_heads,
        "num_experts_per_tok": a.num_experts_per_tok,
        "first_k_dense_replace": a.first_k_dense_replace,
        "num_hidden_layers": a.num_hidden_layers,
        "num_key_value_heads": a.num_key_value_heads,
        "num_nextn_predict_layers": 1,
        "rms_norm_eps": a.rms_norm_eps,
        "routed_scaling_factor": a.routed_scaling_factor,
        "tie_word_embeddings": False,
        "topk_group": a.topk_group,
        "torch_dtype": dtype_name,
        "use_cache": True,
        "use_qk_norm": a.use_qk_norm,
        "vocab_size": a.vocab_size,
    }
    if a.rope_form == "flat":
        cfg["partial_rotary_factor"] = a.partial_rotary_factor
        cfg["rope_scaling"] = None
        cfg["rope_theta"] = a.rope_theta
        cfg["transformers_version"] = "4.54.0"
    else:   # transformers v5 style
        cfg["rope_parameters"] = {"rope_type": "default", "rope_theta": a.rope_theta,
                                  "partial_rotary_factor": a.partial_rotary_factor}
        cfg["transformers_version"] = "5.0.0"
    return cfg


def str2bool(s):
    if s.lower() in ("1", "true", "yes", "on"):
        return True
    if s.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {s}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["F32", "BF16", "F16"], default="F32")
    ap.add_argument("--shards", type=int, default=1, help="1 = single model.safetensors; N>1 = sharded + index")
    ap.add_argument("--rope-form", choices=["flat", "nested"], default="flat")
    ap.add_argument("--omit-mtp-copies", action="store_true",
                    help="omit the MTP layer's embed_tokens / shared_head.head copies (GLM-4.6 style)")
    ap.add_argument("--std", type=float, default=0.08, help="std of matrices, biases and embedding")
    ap.add_argument("--router-std", type=float, default=0.05, help="std of mlp.gate.weight")
    ap.add_argument("--bias-std", type=float, default=0.05, help="std of e_score_correction_bias")
    ap.add_argument("--vocab-size", type=int, default=512)
    ap.add_argument("--hidden-size", type=int, default=64)
    ap.add_argument("--num-hidden-layers", type=int, default=3)
    ap.add_argument("--first-k-dense-replace", type=int, default=1)
    ap.add_argument("--num-attention-heads", type=int, default=4)
    ap.add_argument("--num-key-value-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=32)
    ap.add_argument("--intermediate-size", type=int, default=128)
    ap.add_argument("--moe-intermediate-size", type=int, default=32)
    ap.add_argument("--n-routed-experts", type=int, default=8)
    ap.add_argument("--num-experts-per-tok", type=int, default=2)
    ap.add_argument("--n-shared-experts", type=int, default=1)
    ap.add_argument("--n-group", type=int, default=1)
    ap.add_argument("--topk-group", type=int, default=1)
    ap.add_argument("--norm-topk-prob", type=str2bool, default=True)
    ap.add_argument("--routed-scaling-factor", type=float, default=1.0)
    ap.add_argument("--use-qk-norm", type=str2bool, default=True)
    ap.add_argument("--attention-bias", type=str2bool, default=True)
    ap.add_argument("--partial-rotary-factor", type=float, default=0.5)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--rms-norm-eps", type=float, default=1e-5)
    ap.add_argument("--max-position-embeddings", type=int, default=4096)
    a = ap.parse_args(argv)

    if a.n_routed_experts % a.n_group:
        ap.error("n_routed_experts must be divisible by n_group")
    if a.num_attention_heads % a.num_key_value_heads:
        ap.error("num_attention_heads must be divisible by num_key_value_heads")

    cfg = make_config(a)
    rng = np.random.default_rng(a.seed)
    named = build_tensors(cfg, rng, a.std, a.router_std, a.bias_std, a.omit_mtp_copies)

    encoded = []
    for name, arr in named:
        # HF keeps the router correction bias in fp32 regardless of the checkpoint dtype.
        dt = "F32" if name.endswith("e_score_correction_bias") else a.dtype
        dtype_str, raw = encode(arr, dt)
        encoded.append((name, dtype_str, arr.shape, raw))

    os.makedirs(a.out, exist_ok=True)
    for stale in os.listdir(a.out):
        if stale.endswith(".safetensors") or stale == "model.safetensors.index.json":
            os.remove(os.path.join(a.out, stale))
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")

    total = sum(len(raw) for _, _, _, raw in encoded)
    if a.shards <= 1:
        write_safetensors(os.path.join(a.out, "model.safetensors"), encoded)
    else:
        # split in file order into N parts of roughly equal byte size
        target = total / a.shards
        parts, current, size = [], [], 0
        for item in encoded:
            if current and size + len(item[3]) / 2 > target * (len(parts) + 1) and len(parts) < a.shards - 1:
                parts.append(current)
                current = []
            current.append(item)
            size += len(item[3])
        parts.append(current)
        assert len(parts) == a.shards, (len(parts), a.shards)
        weight_map = {}
        for i, part in enumerate(parts):
            fname = f"model-{i + 1:05d}-of-{a.shards:05d}.safetensors"
            write_safetensors(os.path.join(a.out, fname), part)
            for name, _, _, _ in part:
                weight_map[name] = fname
        with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
            f.write("\n")
    print(f"wrote {a.out}: {len(encoded)} tensors, {total} bytes of tensor data, dtype {a.dtype}, "
          f"shards {max(a.shards, 1)}, rope form {a.rope_form}, mtp copies {'omitted' if a.omit_mtp_copies else 'kept'}")


if __name__ == "__main__":
    sys.exit(main())
