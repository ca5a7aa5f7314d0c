//! The sample forms' cache: the library as last fetched (with its ETag) and the page images
//! fetched so far, kept under a size cap by dropping the least recently shown; and the
//! apply service's postal gazetteer as last fetched (with its ETag), the same kind of cache.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// Which page image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    /// The form's id.
    pub form_id: String,
    /// `blank` or `sample`.
    pub kind: &'static str,
    /// From 1.
    pub page: u8,
}

impl Store {
    /// The cached library JSON and its ETag, if one was ever fetched.
    pub fn cached_form_library(&self) -> Result<Option<(String, Option<String>)>, StoreError> {
        self.cached_body("form_library_cache")
    }

    /// Replaces the cached library.
    pub fn save_form_library(
        &self,
        body: &str,
        etag: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.save_body("form_library_cache", body, etag, now)
    }

    /// The cached postal gazetteer JSON and its ETag (the apply service's), if one was ever
    /// fetched.
    pub fn cached_gazetteer(&self) -> Result<Option<(String, Option<String>)>, StoreError> {
        self.cached_body("gazetteer_cache")
    }

    /// Replaces the cached gazetteer.
    pub fn save_gazetteer(
        &self,
        body: &str,
        etag: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.save_body("gazetteer_cache", body, etag, now)
    }

    /// A one-row cache table's body and ETag (`table` is one of this file's constants).
    fn cached_body(
        &self,
        table: &'static str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT body, etag FROM {table} WHERE id = 1"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Replaces a one-row cache table's body and ETag.
    fn save_body(
        &self,
        table: &'static str,
        body: &str,
        etag: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            &format!(
                "INSERT INTO {table} (id, etag, body, fetched_at) VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET etag = ?1, body = ?2, fetched_at = ?3"
            ),
            params![etag, body, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// A cached page image; marks it the most recently used.
    pub fn cached_form_page(&self, key: &PageKey) -> Result<Option<Vec<u8>>, StoreError> {
        let png: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT png FROM form_page_cache WHERE form_id = ?1 AND kind = ?2 AND page = ?3",
                params![key.form_id, key.kind, i64::from(key.page)],
                |r| r.get(0),
            )
            .optional()?;
        if png.is_some() {
            self.conn.execute(
                "UPDATE form_page_cache
                 SET last_used = (SELECT coalesce(max(last_used), 0) + 1 FROM form_page_cache)
                 WHERE form_id = ?1 AND kind = ?2 AND page = ?3",
                params![key.form_id, key.kind, i64::from(key.page)],
            )?;
        }
        Ok(png)
    }

    /// Keeps a page image as the most recently used, then drops the least recently used
    /// ones until the cache holds at most `cap_bytes` (an image larger than the cap alone
    /// is not kept). Returns how many were dropped.
    pub fn save_form_page(
        &mut self,
        key: &PageKey,
        png: &[u8],
        cap_bytes: u64,
    ) -> Result<usize, StoreError> {
        if png.len() as u64 > cap_bytes {
            return Ok(0);
        }
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO form_page_cache (form_id, kind, page, png, bytes, last_used)
             VALUES (?1, ?2, ?3, ?4, ?5,
                     (SELECT coalesce(max(last_used), 0) + 1 FROM form_page_cache))
             ON CONFLICT (form_id, kind, page) DO UPDATE SET png = excluded.png,
                 bytes = excluded.bytes, last_used = excluded.last_used",
            params![
                key.form_id,
                key.kind,
                i64::from(key.page),
                png,
                png.len() as i64
            ],
        )?;
        let mut dropped = 0;
        loop {
            let total: i64 = tx.query_row(
                "SELECT coalesce(sum(bytes), 0) FROM form_page_cache",
                [],
                |r| r.get(0),
            )?;
            if total as u64 <= cap_bytes {
                break;
            }
            // The least recently shown goes first; the one just kept is the most recent.
            tx.execute(
                "DELETE FROM form_page_cache WHERE (form_id, kind, page) =
                     (SELECT form_id, kind, page FROM form_page_cache
                      ORDER BY last_used LIMIT 1)",
                [],
            )?;
            dropped += 1;
        }
        tx.commit()?;
        Ok(dropped)
    }

    /// How many page images are cached and their bytes.
    pub fn form_page_cache_size(&self) -> Result<(usize, u64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(bytes), 0) FROM form_page_cache",
            [],
            |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as u64)),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, page: u8) -> PageKey {
        PageKey {
            form_id: id.to_owned(),
            kind: "blank",
            page,
        }
    }

    #[test]
    fn the_library_is_kept_with_its_etag() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.cached_form_library().unwrap(), None);
        s.save_form_library("{}", Some("\"e1\""), chrono::Utc::now())
            .unwrap();
        s.save_form_library("{\"x\":1}", Some("\"e2\""), chrono::Utc::now())
            .unwrap();
        assert_eq!(
            s.cached_form_library().unwrap(),
            Some(("{\"x\":1}".to_owned(), Some("\"e2\"".to_owned())))
        );
    }

    #[test]
    fn pages_over_the_cap_drop_the_least_recently_shown() {
        let mut s = Store::open_in_memory().unwrap();
        let cap = 300;
        for page in 1..=3 {
            assert_eq!(
                s.save_form_page(&key("F1", page), &[page; 100], cap)
                    .unwrap(),
                0
            );
        }
        // Page 1 is shown again: page 2 is now the least recently used.
        assert_eq!(
            s.cached_form_page(&key("F1", 1)).unwrap(),
            Some(vec![1; 100])
        );
        assert_eq!(s.save_form_page(&key("F2", 1), &[9; 100], cap).unwrap(), 1);
        assert_eq!(s.cached_form_page(&key("F1", 2)).unwrap(), None);
        for kept in [key("F1", 1), key("F1", 3), key("F2", 1)] {
            assert!(s.cached_form_page(&kept).unwrap().is_some(), "{kept:?}");
        }
        assert_eq!(s.form_page_cache_size().unwrap(), (3, 300));
        // One image larger than the whole cap is not kept, and drops nothing.
        assert_eq!(s.save_form_page(&key("F3", 1), &[0; 400], cap).unwrap(), 0);
        assert_eq!(s.form_page_cache_size().unwrap(), (3, 300));
        // A bigger one makes room by dropping all three older ones.
        assert_eq!(s.save_form_page(&key("F4", 1), &[4; 250], cap).unwrap(), 3);
        assert_eq!(s.form_page_cache_size().unwrap(), (1, 250));
    }
}
