#!/usr/bin/python3
"""Tiny random-weight BERT models and the vectors they must give, for
tests/unit/test_bert.c.

    make_tiny_bert.py OUT_DIR            two models under OUT_DIR/{base,alt}
                                         and OUT_DIR/expected.json
    make_tiny_bert.py --minilm OUT_DIR   one MiniLM-sized random model (for
                                         timing only; no expected vectors)

The expected vectors come from an implementation written here with numpy
alone, independent of the C code: HuggingFace BertTokenizer's basic and
WordPiece steps, and BertModel's forward pass in float64 followed by
sentence-transformers pooling and L2 normalisation.

  base  uncased, F32, plain tensor names, mean pooling, 64 positions
  alt   cased, "bert." prefixed names with unused extra tensors, F16/BF16/
        unaligned F32 weights, gelu_new, CRLF vocabulary, CLS pooling and a
        16-token max_seq_length from the sentence-transformers files
"""
import json
import math
import os
import struct
import sys
import unicodedata

import numpy as np

# ---- vocabulary ----

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PUNCT = list(".,!?'\"-():;$`~^<>") + ["\u2014"]
WORDS = ("the of and to in is it hello world quick brown fox jump over lazy dog cafe deja vu naive "
         "facade memory server long term un machine learn model text code tag line zero width").split()
PIECES = "##ing ##ed ##er ##ly ##aff ##able ##ps ##0 ##1".split()
LETTERS = list("abcdefghijklmnopqrstuvwxyz")
LETTER_PIECES = ["##" + c for c in LETTERS if c not in "kq"]  # so some words stay [UNK]
CJK = ["\u6211", "\u7231"]
CASED = ["Hello", "World", "Caf\u00e9", "Caf", "##\u00e9", "The", "MEMORY"]
DIGITS = ["1", "2", "3", "5"]
VOCAB = SPECIALS + PUNCT + WORDS + PIECES + LETTERS + LETTER_PIECES + CJK + CASED + DIGITS

TEXTS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Caf\u00e9 d\u00e9j\u00e0 vu: na\u00efve fa\u00e7ade \u2014 really?",
    "Cafe\u0301 deja\u0300 vu",                      # decomposed accents: NFC first
    "unaffable xyzzy jumped  MEMORY-server's long-term",
    "jumpk quickly",                                 # a partial match is no match: [UNK]
    "\u6211\u7231machine learning 1230",             # CJK ideographs become words
    "tab\tseparated\u00a0nbsp\u200bzero\x0cwidth\x00nul \ufffd replacement\u2028line",
    "a" * 120 + " dog",                              # over 100 characters: [UNK]
    "the quick brown fox jumps over the lazy dog . " * 12,  # beyond max positions
    "",
    "   \t\n ",
    "$5 `code` ~tilde^ <tag>",
    "\u0391\u0398\u0397\u039d\u0391 \u0301the",      # Greek capitals; a lone combining mark
]

# ---- tokenizer (HuggingFace BasicTokenizer + WordpieceTokenizer) ----


def is_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def is_control(c):
    return c not in "\t\n\r" and unicodedata.category(c).startswith("C")


def is_punct(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_cjk(cp):
    return any(a <= cp <= b for a, b in [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                         (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)])


def basic_tokenize(text, lower, strip, chinese):
    cleaned = []
    for c in text:
        if ord(c) in (0, 0xFFFD) or is_control(c):
            continue
        cleaned.append(" " if is_whitespace(c) else c)
    text = "".join(cleaned)
    if chinese:
        text = "".join(" %s " % c if is_cjk(ord(c)) else c for c in text)
    text = unicodedata.normalize("NFC", text)
    words = []
    for tok in text.split():
        if lower:
            tok = tok.lower()
        if strip:
            tok = "".join(c for c in unicodedata.normalize("NFD", tok) if unicodedata.category(c) != "Mn")
        cur = ""
        for c in tok:
            if is_punct(c):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            words.append(cur)
    return words


def wordpiece(words, vocab):
    out = []
    for w in words:
        if len(w) > 100:
            out.append("[UNK]")
            continue
        pieces, start = [], 0
        while start < len(w):
            end, found = len(w), None
            while start < end:
                s = w[start:end] if start == 0 else "##" + w[start:end]
                if s in vocab:
                    found = s
                    break
                end -= 1
            if found is None:
                pieces = ["[UNK]"]
                break
            pieces.append(found)
            start = end
        out.extend(pieces)
    return out


def encode(text, vocab, opts, max_tokens):
    pieces = wordpiece(basic_tokenize(text, opts["lower_case"], opts["strip_accents"], True), vocab)
    pieces = pieces[:max_tokens - 2]
    return [vocab["[CLS]"]] + [vocab[p] for p in pieces] + [vocab["[SEP]"]]

# ---- model ----


def erf(x):
    return np.vectorize(math.erf)(x)


def gelu(x, kind):
    if kind == "gelu":
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def forward(w, cfg, ids, pooling):
    H, A = cfg["hidden_size"], cfg["num_attention_heads"]
    d, n, eps = H // A, len(ids), cfg["layer_norm_eps"]
    def lin(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        q, k, v = (lin(x, p + "attention.self." + s).reshape(n, A, d).transpose(1, 0, 2)
                   for s in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, H)
        x = layer_norm(x + lin(ctx, p + "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                       w[p + "attention.output.LayerNorm.bias"], eps)
        h = gelu(lin(x, p + "intermediate.dense"), cfg["hidden_act"])
        x = layer_norm(x + lin(h, p + "output.dense"), w[p + "output.LayerNorm.weight"],
                       w[p + "output.LayerNorm.bias"], eps)
    v = x[0] if pooling == "cls" else x.mean(0)
    return v / np.linalg.norm(v)


def random_weights(cfg, rng):
    H, F = cfg["hidden_size"], cfg["intermediate_size"]
    w = {}
    def lin(name, out, inp):
        w[name + ".weight"] = rng.normal(0, 1.0 / math.sqrt(inp), (out, inp))
        w[name + ".bias"] = rng.normal(0, 0.1, out)
    def ln(name):
        w[name + ".weight"] = 1.0 + rng.normal(0, 0.1, H)
        w[name + ".bias"] = rng.normal(0, 0.1, H)
    w["embeddings.word_embeddings.weight"] = rng.normal(0, 1.0, (cfg["vocab_size"], H))
    w["embeddings.position_embeddings.weight"] = rng.normal(0, 0.5, (cfg["max_position_embeddings"], H))
    w["embeddings.token_type_embeddings.weight"] = rng.normal(0, 0.5, (cfg["type_vocab_size"], H))
    ln("embeddings.LayerNorm")
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        for s in ("query", "key", "value"):
            lin(p + "attention.self." + s, H, H)
        lin(p + "attention.output.dense", H, H)
        ln(p + "attention.output.LayerNorm")
        lin(p + "intermediate.dense", F, H)
        lin(p + "output.dense", H, F)
        ln(p + "output.LayerNorm")
    return w

# ---- safetensors ----


def to_bf16_bits(a):
    """float32 -> bfloat16 bits, rounding to nearest even."""
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype("<u2")


def from_bf16_bits(b):
    return (b.astype("<u4") << 16).view("<f4")


def stored(a, dtype):
    """The bytes written for array a, and the values a reader gets back."""
    if dtype == "F32":
        f = np.asarray(a, dtype="<f4")
        return f.tobytes(), f.astype(np.float64)
    if dtype == "F16":
        f = np.asarray(a, dtype="<f2")
        return f.tobytes(), f.astype(np.float64)
    if dtype == "BF16":
        b = to_bf16_bits(a)
        return b.tobytes(), from_bf16_bits(b).astype(np.float64)
    if dtype == "I64":
        return np.asarray(a, dtype="<i8").tobytes(), None
    raise ValueError(dtype)


def write_safetensors(path, entries, header_misalign=0):
    """entries: (name, array, dtype) in file order. Returns {name: values as
    read back}. The header is space-padded so the data starts at a multiple
    of 8 plus header_misalign bytes."""
    header, blobs, back, off = {"__metadata__": {"format": "pt"}}, [], {}, 0
    for name, a, dtype in entries:
        raw, values = stored(a, dtype)
        header[name] = {"dtype": dtype, "shape": list(np.shape(a)), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        back[name] = values
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((header_misalign - len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    return back

# ---- the two test models ----


def write_model(out, name, cfg, dtypes, prefix, extras, vocab_lines, eol, files, misalign, seed):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(seed)
    w = random_weights(cfg, rng)
    entries = [(prefix + k, v, dtypes(k)) for k, v in w.items()] + extras(rng)
    rng.shuffle(entries)  # file order must not matter
    back = write_safetensors(os.path.join(d, "model.safetensors"), entries, misalign)
    weights = {k: back[prefix + k] for k in w}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8", newline="") as f:
        f.write("".join(t + eol for t in vocab_lines))
    for rel, content in files.items():
        os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
        with open(os.path.join(d, rel), "w") as f:
            json.dump(content, f)
    return weights


def config(H, layers, heads, F, positions, vocab, types, act):
    return {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": H, "num_hidden_layers": layers,
            "num_attention_heads": heads, "intermediate_size": F, "max_position_embeddings": positions,
            "vocab_size": vocab, "type_vocab_size": types, "layer_norm_eps": 1e-12, "hidden_act": act,
            "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1}


def tiny(out):
    vocab = {t: i for i, t in enumerate(VOCAB)}
    assert len(vocab) == len(VOCAB)
    variants = []

    cfg = config(32, 2, 4, 64, 64, len(VOCAB) + 3, 2, "gelu")  # 3 padding rows past the vocabulary
    weights = write_model(out, "base", cfg, lambda k: "F32", "", lambda rng: [], VOCAB, "\n", {}, 0, 1)
    variants.append(("base", cfg, weights, {"lower_case": True, "strip_accents": True}, 64, "mean"))

    def alt_dtype(k):
        if k == "embeddings.word_embeddings.weight":
            return "F32"  # made unaligned by the header padding
        if "LayerNorm" in k:
            return "BF16"
        return "F32" if k.endswith(".bias") else "F16"
    def alt_extras(rng):
        return [("bert.embeddings.position_ids", np.arange(40).reshape(1, 40), "I64"),
                ("bert.pooler.dense.weight", rng.normal(0, 0.1, (24, 24)), "F32"),
                ("cls.predictions.bias", rng.normal(0, 0.1, len(VOCAB)), "F16")]
    cfg = config(24, 1, 3, 48, 40, len(VOCAB), 1, "gelu_new")
    files = {"tokenizer_config.json": {"do_lower_case": False, "tokenize_chinese_chars": True},
             "sentence_bert_config.json": {"max_seq_length": 16, "do_lower_case": False},
             "1_Pooling/config.json": {"word_embedding_dimension": 24, "pooling_mode_cls_token": True,
                                       "pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": False}}
    weights = write_model(out, "alt", cfg, alt_dtype, "bert.", alt_extras, VOCAB, "\r\n", files, 1, 2)
    variants.append(("alt", cfg, weights, {"lower_case": False, "strip_accents": False}, 16, "cls"))

    result = []
    for name, cfg, weights, opts, max_tokens, pooling in variants:
        cases = []
        for text in TEXTS:
            ids = encode(text, vocab, opts, max_tokens)
            vec = forward(weights, cfg, ids, pooling) if len(ids) > 2 else np.zeros(cfg["hidden_size"])
            cases.append({"text": text, "ids": ids, "vector": [float(x) for x in vec]})
        result.append({"name": name, "dir": name, "dim": cfg["hidden_size"], "model_id": "bert-%s-%dd" % (
            name, cfg["hidden_size"]), "max_tokens": max_tokens, "pooling": pooling, "tokenizer": opts,
            "cases": cases})
    # Written last: its presence means the models are complete.
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"variants": result}, f, indent=1)


def minilm(out):
    rng = np.random.default_rng(3)
    words, seen = [], set(SPECIALS + PUNCT + LETTERS + ["##" + c for c in LETTERS])
    while len(words) + len(seen) < 30522:
        wd = "".join(rng.choice(LETTERS, rng.integers(2, 9)))
        if wd not in seen:
            seen.add(wd)
            words.append(wd)
    vocab = SPECIALS + PUNCT + LETTERS + ["##" + c for c in LETTERS] + words
    cfg = config(384, 6, 12, 1536, 512, len(vocab), 2, "gelu")
    write_model(out, ".", cfg, lambda k: "F32", "", lambda r: [], vocab, "\n", {}, 0, 3)
    # A text of about 1 KB of words from the vocabulary, for the timing.
    with open(os.path.join(out, "sample_1k.txt"), "w") as f:
        text = ""
        while len(text) < 1024:
            text += words[int(rng.integers(len(words)))] + (". " if rng.random() < 0.1 else " ")
        f.write(text[:1024])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--minilm":
        minilm(sys.argv[2])
    elif len(sys.argv) == 2:
        tiny(sys.argv[1])
    else:
        sys.exit("usage: make_tiny_bert.py [--minilm] OUT_DIR")
