-- 0007: the sample forms. The library as the platform last sent it, with its ETag (one row,
-- like the catalog), so the kiosk browses offline; and the page images fetched so far, each
-- with its size and when it was last shown, so the cache keeps under its size cap by
-- dropping the least recently shown. Nothing personal: forms and their blank or sample pages.
-- A shipped migration is never edited: add a new file instead.

CREATE TABLE form_library_cache (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    etag       TEXT,
    body       TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);

CREATE TABLE form_page_cache (
    form_id   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    page      INTEGER NOT NULL,
    png       BLOB NOT NULL,
    bytes     INTEGER NOT NULL,
    last_used INTEGER NOT NULL,
    PRIMARY KEY (form_id, kind, page)
) WITHOUT ROWID;

CREATE INDEX form_page_cache_by_use ON form_page_cache (last_used);
