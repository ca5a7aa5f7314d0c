-- 0009: the city's postal gazetteer as the platform last sent it, with its ETag (one row, like
-- the catalog and the form library), so a citizen can type a postal address while the platform
-- is down. Nothing personal: districts, streets and their pinyin.
-- A shipped migration is never edited: add a new file instead.

CREATE TABLE gazetteer_cache (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    etag       TEXT,
    body       TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
