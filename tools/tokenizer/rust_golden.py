"""Golden data for Conclave's BPE trainer from the Rust `tokenizers` library (pip install tokenizers).

Given a directory written by `conclave train tokenizer` and a JSON list of strings, writes into OUT_DIR:
  rust.tokenizer.json  the Rust library's own pretty serialization of the loaded tokenizer.json
                       (Conclave's file must be byte-identical to it: same format, same key order);
  rust-ids.json        [{"text": ..., "ids": [...]}]: the Rust library's ids, add_special_tokens=False.

    python3 tools/tokenizer/rust_golden.py TOKENIZER_DIR SAMPLES.json OUT_DIR
"""
import json
import os
import sys

from tokenizers import Tokenizer


def main(tokenizer_dir, samples_file, out_dir):
    tok = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json"))
    with open(samples_file, encoding="utf-8") as f:
        texts = json.load(f)
    with open(os.path.join(out_dir, "rust.tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(tok.to_str(pretty=True))
    cases = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        assert tok.decode(ids, skip_special_tokens=False) == text, "no round trip: " + repr(text)
        cases.append({"text": text, "ids": ids})
    with open(os.path.join(out_dir, "rust-ids.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main(*sys.argv[1:])
