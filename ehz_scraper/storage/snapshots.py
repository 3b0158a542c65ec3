"""Raw page snapshots: SHA-256 keys, zstandard compression with dictionaries kept in the archive."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

import zstandard

from ehz_scraper.errors import ArchiveError
from ehz_scraper.extraction.decode import decode_text

LEVEL = 3
DICT_SIZE = 112_640  # zstd's default dictionary size (110 KiB)
# The first dictionary is trained once this many pages have been stored without one; each
# later one when the archive holds RETRAIN_FACTOR times as many pages as the last one's sample
# (a dictionary trained on a few hundred pages compresses about twice as well as one on 48).
FIRST_TRAINING = 48
RETRAIN_FACTOR = 5
MAX_SAMPLES = 300  # ~0.3 s to train; more samples gained little in trials
# Dictionaries are trained on the site's pages; images (stored as they are) would spoil them.
_TRAINABLE = "compression = 'zstd' AND coalesce(content_type, '') NOT LIKE 'image/%'"
# A compressed blob must save at least this share of the bytes, else the bytes are stored as
# they are (JPEGs and PNGs are compressed already: zstd would only cost CPU on every read).
MIN_SAVING = 0.05


def is_text(content_type: str | None) -> bool:
    """True for content an encoding can be detected for (HTML, text, none declared)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return not kind or kind.startswith("text/") or kind.endswith(("+xml", "/xml", "/json"))


def sha256_hex(data: bytes) -> str:
    """The snapshot key: hex SHA-256 of the bytes as received."""
    return hashlib.sha256(data).hexdigest()


def detect_encoding(body: bytes, content_type: str | None) -> str | None:
    """The encoding the extractor reads this page in (None for a body that is not text)."""
    if not body or not is_text(content_type):
        return None
    return decode_text(body, content_type)[1]


@dataclass(frozen=True)
class Compressed:
    """A compressed blob and the dictionary it needs (None: plain zstd)."""

    data: bytes
    dict_id: int | None


class SnapshotCodec:
    """Compresses new snapshots with the archive's newest dictionary; reads any stored blob."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._decompressors: dict[int | None, zstandard.ZstdDecompressor] = {}
        self._compressor: zstandard.ZstdCompressor | None = None
        self._dict_id: int | None = None
        self._dict_samples = 0
        self._load_newest()

    def _load_newest(self) -> None:
        row = self.conn.execute(
            "SELECT id, dict, sample_count FROM zstd_dicts ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            self._dict_id, self._dict_samples = None, 0
            self._compressor = zstandard.ZstdCompressor(level=LEVEL)
        else:
            self._dict_id, self._dict_samples = row[0], row[2]
            zdict = zstandard.ZstdCompressionDict(row[1])
            self._compressor = zstandard.ZstdCompressor(level=LEVEL, dict_data=zdict)

    @property
    def dict_id(self) -> int | None:
        """The dictionary new snapshots are compressed with."""
        return self._dict_id

    def compress(self, data: bytes) -> Compressed:
        assert self._compressor is not None
        return Compressed(self._compressor.compress(data), self._dict_id)

    def decompress(self, blob: bytes, dict_id: int | None, compression: str = "zstd") -> bytes:
        """The original bytes of a stored blob."""
        if compression == "none":
            return bytes(blob)
        dctx = self._decompressors.get(dict_id)
        if dctx is None:
            if dict_id is None:
                dctx = zstandard.ZstdDecompressor()
            else:
                row = self.conn.execute(
                    "SELECT dict FROM zstd_dicts WHERE id = ?", [dict_id]
                ).fetchone()
                if row is None:
                    raise ArchiveError(f"zstd dictionary {dict_id} is missing from the archive")
                dctx = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(row[0]))
            self._decompressors[dict_id] = dctx
        try:
            return dctx.decompress(blob)
        except zstandard.ZstdError as exc:
            raise ArchiveError(f"cannot decompress snapshot: {exc}") from None

    def read(self, snapshot_hash: str) -> bytes:
        """The raw bytes of snapshot `snapshot_hash`."""
        row = self.conn.execute(
            "SELECT data, dict_id, compression FROM snapshots WHERE hash = ?", [snapshot_hash]
        ).fetchone()
        if row is None:
            raise ArchiveError(f"no snapshot {snapshot_hash}")
        try:
            return self.decompress(row[0], row[1], row[2])
        except ArchiveError as exc:
            raise ArchiveError(f"snapshot {snapshot_hash}: {exc}") from None

    def training_due(self) -> bool:
        """True when enough pages have arrived since the last dictionary to train a better one."""
        sql = f"SELECT count(*) FROM snapshots WHERE {_TRAINABLE}"
        (count,) = self.conn.execute(sql).fetchone()
        if self._dict_id is None:
            return count >= FIRST_TRAINING
        return count >= self._dict_samples * RETRAIN_FACTOR and self._dict_samples < MAX_SAMPLES

    def train(self, now: str) -> int | None:
        """Train a dictionary on the newest stored pages and make it current; returns its id.

        Runs inside the caller's transaction; older blobs keep the dictionary they name.
        """
        rows = self.conn.execute(
            f"SELECT data, dict_id FROM snapshots WHERE {_TRAINABLE} ORDER BY rowid DESC LIMIT ?",
            [MAX_SAMPLES],
        ).fetchall()
        samples = [self.decompress(data, dict_id) for data, dict_id in rows]
        total = sum(len(s) for s in samples)
        if len(samples) < 8 or total < DICT_SIZE * 2:
            return None  # too little material: a dictionary would not pay for itself
        try:
            # Fixed fastcover parameters: as good as zstd's parameter search on these pages
            # (5.1% vs 5.1% in trials) at a fifth of its CPU time.
            zdict = zstandard.train_dictionary(DICT_SIZE, samples, level=LEVEL, k=2048, d=8, f=20)
        except zstandard.ZstdError:
            return None  # samples too uniform or too few to train on; keep the current one
        cur = self.conn.execute(
            "INSERT INTO zstd_dicts (created, sample_count, size, dict) VALUES (?, ?, ?, ?)",
            [now, len(samples), len(zdict.as_bytes()), zdict.as_bytes()],
        )
        self._load_newest()
        return cur.lastrowid

    def reload(self) -> None:
        """Forget cached state (after a rollback that may have dropped a new dictionary)."""
        self._decompressors.clear()
        self._load_newest()
