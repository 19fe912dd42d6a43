"""Split a Xapian index into N shard indexes, as N ``hansearch rebuild --shard I/N`` would
build them, for benchmarking shards without analysing the corpus N more times.

    python bench/split_shards.py --config /tmp/hs-xapian.toml --shards 2 --out /tmp/hs-shards

Each article goes to the shard ``indexer.shards.Shard.holds`` gives it (the CRC-32 of its
id), its Xapian document copied whole (terms, positions, values, data); the user
dictionaries are copied into each shard's metadata. Each shard is a complete index folder
(``CURRENT``, ``current.xapian``, ``generations/<name>/``, its ``shard`` file) that
``xapian-tcpsrv --port P <out>/shard<I>/current.xapian`` serves. Prints the commands and
the ``[xapian] shards`` lines of a config that searches them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import xapian

from indexer.shards import SHARD_FILE, Shard
from search.config import load_settings
from search.store import IndexStore
from search.xapian_documents import DICTIONARIES_KEY, LAYOUT_KEY, SLOT_ID


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="config of a Xapian index")
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--first-port", type=int, default=8100)
    args = parser.parse_args()
    source = IndexStore(load_settings(args.config).index.path).current_path()
    db = xapian.Database(str(source))
    shards = [Shard(number, args.shards) for number in range(1, args.shards + 1)]
    stores = [IndexStore(args.out / f"shard{s.number}") for s in shards]
    generations = [store.new_generation() for store in stores]
    writers = [xapian.WritableDatabase(str(g), xapian.DB_CREATE) for g in generations]
    started = time.monotonic()
    copied = 0
    for item in db.postlist(""):  # every document, in docid order
        doc = db.get_document(item.docid)
        doc_id = doc.get_value(SLOT_ID).decode("utf-8")
        for shard, writer in zip(shards, writers, strict=True):
            if shard.holds(doc_id):
                writer.add_document(doc)
        copied += 1
        if copied % 20_000 == 0:
            print(f"{copied:,} documents, {time.monotonic() - started:.0f} s", flush=True)
    for shard, writer, generation, store in zip(shards, writers, generations, stores, strict=True):
        for key in (DICTIONARIES_KEY, LAYOUT_KEY):
            writer.set_metadata(key, db.get_metadata(key))
        writer.commit()
        print(f"shard {shard}: {writer.get_doccount():,} documents", flush=True)
        writer.close()
        (generation / SHARD_FILE).write_text(f"{shard}\n", "utf-8")
        store.switch_to(generation)
    print(f"copied {copied:,} documents in {time.monotonic() - started:.0f} s\n")
    ports = [args.first_port + i for i in range(args.shards)]
    for shard, port in zip(shards, ports, strict=True):
        stub = args.out / f"shard{shard.number}" / "current.xapian"
        print(f"xapian-tcpsrv --port {port} --interface 127.0.0.1 --quiet {stub} &")
    addresses = ", ".join(f'"127.0.0.1:{port}"' for port in ports)
    print(f"\n[xapian]\nshards = [{addresses}]")


if __name__ == "__main__":
    main()
