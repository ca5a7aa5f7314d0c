//! Catalog service: `GET /v1/catalog` with its `ETag`.

use super::{decode, ClientError, PlatformClient};
use crate::api::Catalog;

/// Result of [`PlatformClient::catalog`].
#[derive(Debug, Clone, PartialEq)]
// One value per sync round, moved once: boxing the catalog (which grew with the
// applications' matters) would save nothing worth an extra allocation and five callers.
#[allow(clippy::large_enum_variant)]
pub enum CatalogFetch {
    /// The catalog changed (or no etag was given): the new content and its etag, to pass
    /// on the next call.
    Modified {
        /// The catalog.
        catalog: Catalog,
        /// Its `ETag` header value, quotes included; `None` if the server sent none.
        etag: Option<String>,
    },
    /// The etag given is still current (HTTP 304).
    NotModified,
}

impl PlatformClient {
    /// `GET /v1/catalog`, conditional on `etag` when given.
    pub fn catalog(&self, etag: Option<&str>) -> Result<CatalogFetch, ClientError> {
        let reply = self.send("GET", "/v1/catalog", None, etag, true)?;
        if reply.status == 304 {
            return Ok(CatalogFetch::NotModified);
        }
        let etag = reply.etag.clone();
        let catalog = decode(reply)?;
        Ok(CatalogFetch::Modified { catalog, etag })
    }
}
