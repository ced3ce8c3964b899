"""Data and the Python peers of the `tokenize` suite.

    python tokenize_peers.py write DIR COPIES    GPT-2 tokenizer.json under DIR and Debian's copyright files
                                                 (COPIES times) as one Parquet file DIR/corpus/corpus.parquet
    python tokenize_peers.py run PEER DIR L      times PEER tokenizing and packing the corpus into rows of L:
                                                 datasets-map (Hugging Face datasets.map, batched, num_proc =
                                                 cores, the same tokenizer.json), tokenizers (encode_batch),
                                                 tiktoken (gpt2, encode_batch on every core)
    python tokenize_peers.py epoch URL NAME DIR  reads the packed dataset NAME into (256, L) tensors with
                                                 FlightCacheDataset, then the same rows from a local Arrow file

Each prints one JSON line. Packing is the loader's: each document's ids end with <|endoftext|>, the
file's documents are joined and cut into rows of L, the rest dropped.
"""

import json
import os
import resource
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.parquet as pq

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# The reference helpers, and the flightcache package from the working tree (as torch_common.py does).
sys.path[:0] = [os.path.join(ROOT, "test", "python"), os.path.join(ROOT, "client", "python", "src")]
import tokenize_check  # noqa: E402

EOS = 50256  # <|endoftext|> in GPT-2, both as tokenizer.json and as tiktoken's gpt2


def cpu_seconds():
    """CPU seconds of this process (all threads) and of its ended children (datasets.map's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def write(root, copies):
    tokenize_check.gpt2_file(os.path.join(root, "gpt2.json"))
    paths = sorted(os.path.join("/usr/share/doc", d, "copyright") for d in os.listdir("/usr/share/doc") if os.path.isfile(os.path.join("/usr/share/doc", d, "copyright")))
    texts = [open(p, encoding="utf-8", errors="replace").read() for p in paths] * copies
    os.makedirs(os.path.join(root, "corpus"), exist_ok=True)
    pq.write_table(pa.table({"text": texts}), os.path.join(root, "corpus", "corpus.parquet"), row_group_size=128)
    print(json.dumps({"documents": len(texts), "bytes": sum(len(t.encode()) for t in texts)}))


def pack(docs, length):
    """The packed rows of DOCS (lists of ids) and the number of ids the tokenizer produced."""
    tokens = sum(len(d) for d in docs)
    stream = np.fromiter((i for d in docs for i in (d if d and d[-1] == EOS else d + [EOS])), dtype=np.int32)
    rows = len(stream) // length
    return stream[: rows * length].reshape(rows, length), tokens


def texts_of(root):
    return pq.read_table(os.path.join(root, "corpus", "corpus.parquet")).column("text").to_pylist()


def run(peer, root, length):
    tokenizer_path = os.path.join(root, "gpt2.json")
    if peer == "datasets-map":
        try:
            import datasets
        except ImportError:
            print(json.dumps({"skipped": "Hugging Face datasets is not installed (an optional pin of test/python/requirements.txt)"}))
            return
        from tokenizers import Tokenizer

        datasets.disable_progress_bars()
        start, cpu = time.perf_counter(), cpu_seconds()
        data = datasets.Dataset.from_parquet(os.path.join(root, "corpus", "corpus.parquet"), cache_dir=os.path.join(root, "hf-cache"))

        def encode(batch, tok=[]):
            if not tok:
                tok.append(Tokenizer.from_file(tokenizer_path))
            return {"input_ids": [e.ids for e in tok[0].encode_batch(batch["text"])]}

        mapped = data.map(encode, batched=True, num_proc=os.cpu_count(), remove_columns=["text"], load_from_cache_file=False)
        rows, tokens = pack(mapped["input_ids"], length)
    elif peer == "tokenizers":
        from tokenizers import Tokenizer

        texts = texts_of(root)
        start, cpu = time.perf_counter(), cpu_seconds()
        tok = Tokenizer.from_file(tokenizer_path)
        rows, tokens = pack([e.ids for e in tok.encode_batch(texts)], length)
    elif peer == "tiktoken":
        texts = texts_of(root)
        start, cpu = time.perf_counter(), cpu_seconds()
        enc = tokenize_check.tiktoken_encoding("gpt2")
        rows, tokens = pack(enc.encode_batch(texts, allowed_special="all", num_threads=os.cpu_count()), length)
    else:
        raise SystemExit(f"unknown peer {peer}")
    print(json.dumps({"seconds": time.perf_counter() - start, "cpu_seconds": cpu_seconds() - cpu, "tokens": tokens, "rows": int(rows.shape[0])}))


def epoch(url, name, root):
    import torch
    from flightcache.torch import FlightCacheDataset
    from flightcache.torch.convert import batch_to_tensors

    torch.set_num_threads(1)
    client = flight.connect(url)
    info = client.get_flight_info(flight.FlightDescriptor.for_path(name))
    table = pa.concat_tables([(flight.connect(e.locations[0]) if e.locations else client).do_get(e.ticket).read_all() for e in info.endpoints])
    path = os.path.join(root, "packed.arrow")
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=256)
    start = time.perf_counter()
    cache_rows = sum(b["input_ids"].shape[0] for b in FlightCacheDataset(url, name, batch_size=256, columns=["input_ids", "position_ids"]))
    cache_seconds = time.perf_counter() - start
    start = time.perf_counter()
    reader = pa.ipc.open_file(pa.memory_map(path))
    local_rows = sum(batch_to_tensors(reader.get_batch(i))["input_ids"].shape[0] for i in range(reader.num_record_batches))
    local_seconds = time.perf_counter() - start
    print(json.dumps({"rows": cache_rows, "local_rows": local_rows, "cache_seconds": cache_seconds, "local_seconds": local_seconds}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "epoch":
        epoch(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(f"unknown command {sys.argv[1]}")
