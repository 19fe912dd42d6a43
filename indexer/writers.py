"""Writing a generation with the engine the settings name (``search.engine``): each
rebuild worker writes a part (a Whoosh segment, or a Xapian database), the parent makes
the parts the generation; ``update`` changes a copy of the serving generation by id."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from search.analysis import UserDictionaries, char_analyzer, word_analyzer
from search.columns import duplicate_signatures
from search.config import ConfigError
from search.duplicates import Clusterer, Signature
from search.engine import engine_of
from search.schema import build_schema
from search.store import open_index

# Memory a worker's Whoosh writer may buffer before it spills sorted runs to disk.
WRITER_LIMIT_MB = 256
# A Xapian rebuild worker starts a new database every this many documents, and writes
# what it holds every XAPIAN_COMMIT_DOCS.
XAPIAN_PART_DOCS = 20_000
XAPIAN_COMMIT_DOCS = 4_000
_PARTS = "parts"
_PACKED = "packed"  # a Xapian generation compacted again, moved over it


def create(generation: Path, engine: str, dictionaries: UserDictionaries) -> None:
    """Prepare an empty generation for ``engine``'s workers."""
    if engine == "whoosh":
        whoosh_index.create_in(str(generation), build_schema(dictionaries))
    else:
        _xapian()
        (generation / _PARTS).mkdir()


class PartWriter:
    """What one rebuild worker writes: ``add`` documents, then ``finish`` gives its part
    (None when it wrote nothing): a Whoosh segment, or the paths of the Xapian databases
    it wrote, a new one every ``XAPIAN_PART_DOCS`` documents (Xapian adds to a small
    database fast and to a large one slowly; merging them at the end is one linear pass)."""

    def __init__(self, generation: Path, worker: int, dictionaries: UserDictionaries) -> None:
        self.count = 0
        self._whoosh = None
        if engine_of(generation) == "xapian" or (generation / _PARTS).is_dir():
            self._folder = generation / _PARTS
            self._worker = worker
            self._paths: list[str] = []
            self._db = None
            self._words = word_analyzer(dictionaries)
            self._chars = char_analyzer()
        else:
            self._whoosh = SegmentWriter(open_index(generation), _lk=False, limitmb=WRITER_LIMIT_MB)

    def add(self, fields: dict[str, Any]) -> None:
        if self._whoosh is not None:
            self.count += 1
            self._whoosh.add_document(**fields)
            return
        from search.xapian_documents import build_document

        if self.count % XAPIAN_PART_DOCS == 0:
            self._next_part()
        elif self.count % XAPIAN_COMMIT_DOCS == 0:
            self._db.commit()  # bounds the memory of the documents not yet written
        self.count += 1
        doc, spellings = build_document(fields, self._words, self._chars)
        self._db.add_document(doc)
        for word in spellings:
            self._db.add_spelling(word)

    def finish(self):
        if self._whoosh is not None:
            if self._whoosh.docnum:
                return self._whoosh._finalize_segment()
            self._whoosh.cancel()
            return None
        self._close()
        return self._paths or None

    def _next_part(self) -> None:
        self._close()
        xapian = _xapian()
        path = self._folder / f"{self._worker:04d}-{len(self._paths):05d}"
        self._db = xapian.WritableDatabase(str(path), xapian.DB_CREATE)
        self._paths.append(str(path))

    def _close(self) -> None:
        if self._db is not None:
            self._db.commit()
            self._db.close()
            self._db = None


def commit(generation: Path, parts: list, dictionaries: UserDictionaries) -> None:
    """Make the workers' parts the generation (a Xapian one records the user
    dictionaries, with which its queries are analysed)."""
    if not (generation / _PARTS).is_dir():
        ix = open_index(generation)
        writer = ix.writer()
        try:  # as Whoosh's own multi-segment writer does
            existing = writer._merge_segments(None, False, False)
            writer._close_segment()
            writer._commit_toc(existing + parts)
        finally:
            writer._finish()
        return
    xapian = _xapian()
    merged = xapian.Database()
    paths = sorted(path for worker in parts for path in worker)  # by worker, then in order
    for path in paths:
        merged.add_database(xapian.Database(path))
    if paths:
        merged.compact(str(generation), xapian.Compactor.FULLER)
    merged.close()
    from search.xapian_documents import DICTIONARIES_KEY, LAYOUT, LAYOUT_KEY, dictionaries_json

    db = xapian.WritableDatabase(str(generation), xapian.DB_CREATE_OR_OPEN)
    db.set_metadata(DICTIONARIES_KEY, dictionaries_json(dictionaries))
    db.set_metadata(LAYOUT_KEY, LAYOUT)
    db.commit()
    db.close()
    shutil.rmtree(generation / _PARTS)


def laid_out_as_written_now(generation: Path) -> bool:
    """Whether documents this version writes can join ``generation`` (a Xapian database
    of another layout cannot be updated, only rebuilt)."""
    if engine_of(generation) != "xapian":
        return True
    from search.xapian_documents import LAYOUT, layout_of

    db = _xapian().Database(str(generation))
    try:
        return layout_of(db) == LAYOUT
    finally:
        db.close()


def document_count(generation: Path) -> int:
    if engine_of(generation) == "xapian":
        return _xapian().Database(str(generation)).get_doccount()
    return open_index(generation).doc_count()


def stored_copies(generation: Path) -> Iterator[tuple[str, list[tuple[Any, dict]]]]:
    """(id, [(handle, stored fields)]) of every id held by more than one document."""
    if engine_of(generation) == "xapian":
        from search.xapian_documents import ID_PREFIX, DocumentData

        db = _xapian().Database(str(generation))
        for item in db.allterms(ID_PREFIX):
            if item.termfreq < 2:
                continue
            copies = [
                (p.docid, DocumentData(db.get_document(p.docid).get_data()).stored)
                for p in db.postlist(item.term)
            ]
            yield copies[0][1]["id"], copies
        return
    ix = open_index(generation)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for term, info in reader.iter_field("id"):
            if info.doc_frequency() < 2:
                continue
            doc_id = term.decode() if isinstance(term, bytes) else term
            docnums = reader.postings("id", doc_id).all_ids()
            yield doc_id, [(d, reader.stored_fields(d)) for d in docnums]


class Changes:
    """Deletions and additions by id on a generation (``update``), committed at once."""

    def __init__(self, generation: Path) -> None:
        self.generation = generation
        self.xapian = engine_of(generation) == "xapian"
        if self.xapian:
            xapian = _xapian()
            from search.xapian_documents import DICTIONARIES_KEY, read_dictionaries

            self._db = xapian.WritableDatabase(str(generation), xapian.DB_OPEN)
            dictionaries = read_dictionaries(self._db.get_metadata(DICTIONARIES_KEY))
            self._words = word_analyzer(dictionaries)
            self._chars = char_analyzer()
        else:
            self._writer = open_index(generation).writer(limitmb=WRITER_LIMIT_MB)

    def delete_number(self, docnum) -> None:
        if self.xapian:
            self._db.delete_document(docnum)
        else:
            self._writer.delete_document(docnum)

    def delete(self, doc_id: str) -> None:
        if self.xapian:
            from search.xapian_documents import id_term

            self._db.delete_document(id_term(doc_id))
        else:
            self._writer.delete_by_term("id", doc_id)

    def put(self, fields: dict[str, Any]) -> None:
        """Add the document, replacing any with its id."""
        if self.xapian:
            from search.xapian_documents import build_document, id_term

            doc, spellings = build_document(fields, self._words, self._chars)
            self._db.replace_document(id_term(fields["id"]), doc)
            for word in spellings:
                self._db.add_spelling(word)
        else:
            self._writer.update_document(**fields)

    def commit(self, merge: bool = True) -> None:
        """Make the changes the generation's (``merge``: Whoosh may merge segments; a
        Xapian generation is always compacted again, see ``_pack``)."""
        if self.xapian:
            self._db.commit()
            self._db.close()
            _pack(self.generation)
        else:
            self._writer.commit(merge=merge)

    def cancel(self) -> None:
        if self.xapian:
            self._db.close()
        else:
            self._writer.cancel()


def kept_clusters(generation: Path, leaving: set[str]) -> Clusterer | None:
    """A Clusterer holding the near-duplicate clusters of the articles an update keeps (all
    but those of ``leaving`` ids), in index order, so new articles join them; None when the
    index has no clusters (a Whoosh index built before them)."""
    clusterer = Clusterer()
    if engine_of(generation) == "xapian":
        from search.xapian_documents import SLOT_CLUSTER, SLOT_SIGNATURE, id_term

        db = _xapian().Database(str(generation))
        gone = {p.docid for doc_id in leaving for p in db.postlist(id_term(doc_id))}
        clusters = {item.docid: item.value for item in db.valuestream(SLOT_CLUSTER)}
        for item in db.valuestream(SLOT_SIGNATURE):
            cluster = clusters.get(item.docid)
            if item.docid not in gone and cluster:
                clusterer.seed(Signature.from_bytes(item.value), cluster.decode("utf-8"))
        return clusterer
    with open_index(generation).searcher() as searcher:
        reader = searcher.reader()
        if "cluster" not in reader.schema:
            return None
        gone = {d for doc_id in leaving for d in searcher.document_numbers(id=doc_id)}
        for docnum, sig, cluster in duplicate_signatures(reader):
            if docnum not in gone:
                clusterer.seed(sig, cluster)
    return clusterer


def copy_generation(source: Path, target: Path, skip: set[str]) -> None:
    """The files of ``source`` in ``target``: hard links for Whoosh (it never rewrites a
    file), copies for Xapian (it does)."""
    xapian = engine_of(source) == "xapian"
    for path in source.iterdir():
        if path.is_file() and not path.name.upper().endswith("LOCK") and path.name not in skip:
            if xapian:
                shutil.copy2(path, target / path.name)
            else:
                os.link(path, target / path.name)


def _pack(generation: Path) -> None:
    """Compact a changed Xapian generation again. Its blocks are packed full (a quarter
    smaller than Xapian's default); changing them in place splits them: deleting the 1.6%
    repeated articles of a shard of ../shared/corpus left it 40% larger than packed."""
    xapian = _xapian()
    packed = generation / _PACKED
    shutil.rmtree(packed, ignore_errors=True)
    db = xapian.Database(str(generation))
    try:
        db.compact(str(packed), xapian.Compactor.FULLER)
    finally:
        db.close()
    for path in generation.iterdir():  # the database's own files, none of the others
        if path.name.endswith(".glass") or path.name in ("iamglass", "flintlock"):
            path.unlink()
    for path in packed.iterdir():
        os.replace(path, generation / path.name)
    packed.rmdir()


def _xapian():
    try:
        import xapian
    except ImportError:
        raise ConfigError(
            'index.engine is "xapian" but Xapian is not installed:'
            " pip install 'hansearch[xapian]'"
        ) from None
    return xapian
