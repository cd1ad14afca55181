#!/usr/bin/env bash
# Reproduces models/conclave-tiny from scratch with Conclave's own commands: synthetic task data,
# a byte-level BPE tokenizer trained on it, SFT from random initialisation (MoE + MTP), GRPO on addition,
# more SFT on tool calls and sorting, then GRPO on addition and tool calls. About 45 minutes on 2 cores.
# Usage: tools/bundled-model/build.sh [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${1:-/tmp/conclave-tiny-build}"
CONCLAVE="${CONCLAVE:-$ROOT/conclave}"
mkdir -p "$WORK"
cd "$WORK"

# 1. Data: addition with a carry trace as thinking, sorting lists, and a calculator tool call.
$CONCLAVE tasks --task addition-forward --thinking --count 6000 --seed 1 --split TRAIN --sft addition.jsonl
$CONCLAVE tasks --task sort-list --count 3000 --seed 2 --split TRAIN --sft sort.jsonl
$CONCLAVE tasks --task calculator --thinking --count 1500 --seed 3 --split TRAIN --sft calculator.jsonl
cat addition.jsonl sort.jsonl calculator.jsonl > train.jsonl
$CONCLAVE tasks --task addition-forward --thinking --count 2000 --seed 4 --split TRAIN --rl rl.jsonl
$CONCLAVE tasks --task addition-forward --thinking --count 200 --seed 5 --split HELD_OUT --rl held-out.jsonl

# 2. Tokenizer: byte-level BPE with GLM's special tokens and chat template.
$CONCLAVE train tokenizer --corpus train.jsonl --vocab-size 512 --out tokenizer
VOCAB=$(python3 -c "import json; t=json.load(open('tokenizer/tokenizer.json')); print(len(t['model']['vocab'])+len(t['added_tokens']))")
EOT=$(python3 -c "import json; t=json.load(open('tokenizer/tokenizer.json')); d={a['content']:a['id'] for a in t['added_tokens']}; print(d['<|endoftext|>'], d['<|user|>'], d['<|observation|>'])")
read -r EOS USER OBS <<< "$EOT"

# 3. The model: GLM-4.5 architecture, 4 layers (the first dense), 8 routed experts top-2 + 1 shared, MTP layer.
cat > config.json <<JSON
{"architectures": ["Glm4MoeForCausalLM"], "model_type": "glm4_moe", "vocab_size": $VOCAB, "hidden_size": 128,
 "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
 "intermediate_size": 384, "moe_intermediate_size": 128, "n_routed_experts": 8, "n_shared_experts": 1,
 "num_experts_per_tok": 2, "n_group": 1, "topk_group": 1, "first_k_dense_replace": 1, "norm_topk_prob": true,
 "routed_scaling_factor": 2.5, "rope_theta": 10000, "partial_rotary_factor": 0.5, "attention_bias": true,
 "use_qk_norm": true, "rms_norm_eps": 1e-5, "max_position_embeddings": 1024, "tie_word_embeddings": false,
 "num_nextn_predict_layers": 1, "eos_token_id": [$EOS, $USER, $OBS], "pad_token_id": $EOS, "torch_dtype": "bfloat16"}
JSON

# 4. SFT from scratch, then GRPO on the addition tasks.
$CONCLAVE train sft --config config.json --tokenizer tokenizer --data train.jsonl --held-out held-out.jsonl \
  --out sft --steps 500 --row-length 512 --rows 4 --lr 3e-3 --eval-every 100 --max-new-tokens 64 --dtype F32
SFT=$(ls -d sft/checkpoints/checkpoint-* | tail -1)
$CONCLAVE train grpo --model "$SFT" --tasks rl.jsonl --held-out held-out.jsonl --out grpo --steps 40 \
  --prompts 8 --max-draws 24 --max-new-tokens 64 --lr 1e-4 --eval-every 10 --dtype BF16
ADD=$(ls -d grpo/checkpoints/checkpoint-* | tail -1)

# 5. More SFT on the tool calls and sorting (with some addition kept), then GRPO on addition and tool calls.
$CONCLAVE tasks --task calculator --thinking --count 2500 --seed 13 --split TRAIN --sft calc2.jsonl
$CONCLAVE tasks --task sort-list --count 2000 --seed 12 --split TRAIN --sft sort2.jsonl
$CONCLAVE tasks --task addition-forward --thinking --count 1000 --seed 11 --split TRAIN --sft add2.jsonl
cat calc2.jsonl sort2.jsonl add2.jsonl > mix2.jsonl
$CONCLAVE tasks --task calculator --thinking --count 100 --seed 15 --split HELD_OUT --rl calc-held.jsonl
$CONCLAVE tasks --task calculator --thinking --count 1000 --seed 16 --split TRAIN --rl calc-rl.jsonl
$CONCLAVE tasks --task sort-list --count 100 --seed 17 --split HELD_OUT --rl sort-held.jsonl
cat calc-held.jsonl sort-held.jsonl > mix-held.jsonl
$CONCLAVE train sft --model "$ADD" --data mix2.jsonl --held-out mix-held.jsonl --out sft2 --steps 250 \
  --row-length 512 --rows 4 --lr 1e-3 --warmup 0.02 --eval-every 50 --max-new-tokens 48 --dtype F32
SFT2=$(ls -d sft2/checkpoints/checkpoint-* | tail -1)
cat rl.jsonl calc-rl.jsonl > rl2.jsonl
cat held-out.jsonl calc-held.jsonl > held-out2.jsonl
$CONCLAVE train grpo --model "$SFT2" --tasks rl2.jsonl --held-out held-out2.jsonl --out grpo2 --steps 20 \
  --prompts 8 --max-draws 24 --max-new-tokens 64 --lr 5e-5 --eval-every 10 --dtype BF16
FINAL=$(ls -d grpo2/checkpoints/checkpoint-* | tail -1)
echo "final checkpoint: $WORK/$FINAL"
echo "install it with: rm -rf $ROOT/models/conclave-tiny && mkdir -p $ROOT/models/conclave-tiny && cp $WORK/$FINAL/{*.json,*.safetensors} $ROOT/models/conclave-tiny/"
