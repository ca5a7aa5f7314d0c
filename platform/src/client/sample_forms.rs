//! Sample forms: the library (with its `ETag`) and the page images.

use super::{decode, ClientError, PlatformClient};
use crate::api::sample_forms::{is_form_id, page_path, FormLibrary, PageKind};

/// Result of [`PlatformClient::form_library`].
#[derive(Debug, Clone, PartialEq)]
pub enum LibraryFetch {
    /// The library changed (or no etag was given): the new content, the body as sent (what
    /// the kiosk caches) and its etag.
    Modified {
        /// The library.
        library: FormLibrary,
        /// The JSON as received.
        body: String,
        /// Its `ETag`, quotes included.
        etag: Option<String>,
    },
    /// The etag given is still current (HTTP 304).
    NotModified,
}

/// PNG's signature: the first bytes of every page image.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

impl PlatformClient {
    /// `GET /v1/forms`, conditional on `etag` when given. A library that breaks the
    /// contract ([`FormLibrary::is_consistent`]) is an error.
    pub fn form_library(&self, etag: Option<&str>) -> Result<LibraryFetch, ClientError> {
        let reply = self.send("GET", "/v1/forms", None, etag, true)?;
        if reply.status == 304 {
            return Ok(LibraryFetch::NotModified);
        }
        let etag = reply.etag.clone();
        let body = String::from_utf8(reply.body.clone())
            .map_err(|_| ClientError::Decode("form library: not UTF-8".to_owned()))?;
        let library: FormLibrary = decode(reply)?;
        if !library.is_consistent() {
            return Err(ClientError::Decode(
                "form library: ids, pinyin, pages or departments break the contract".to_owned(),
            ));
        }
        Ok(LibraryFetch::Modified {
            library,
            body,
            etag,
        })
    }

    /// `GET /v1/forms/{id}/{kind}/{page}.png`: the page image's PNG bytes (checked to be a
    /// PNG, not decoded).
    pub fn form_page(
        &self,
        form_id: &str,
        kind: PageKind,
        page: u8,
    ) -> Result<Vec<u8>, ClientError> {
        if !is_form_id(form_id) {
            return Err(ClientError::Decode(format!("not a form id: {form_id:?}")));
        }
        let reply = self.send("GET", &page_path(form_id, kind, page), None, None, true)?;
        if !reply.body.starts_with(PNG_SIGNATURE) {
            // A proxy's or captive portal's page, not the platform's image.
            return Err(ClientError::Network(format!(
                "HTTP {} answer is not a PNG (a proxy or captive portal?)",
                reply.status
            )));
        }
        Ok(reply.body)
    }
}
