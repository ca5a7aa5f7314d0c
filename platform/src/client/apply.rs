//! Applications (自助申报): a part of the scans (`PUT /v1/application-parts/{key}/{n}`),
//! then the application (`POST /v1/applications/{key}`), both idempotent under the key;
//! the postal gazetteer (`GET /v1/gazetteer`, with its `ETag`).

use super::{ClientError, PlatformClient};
use crate::api::apply::{digest, Application, Gazetteer, PartReceipt, Submitted};

/// Result of [`PlatformClient::gazetteer`].
#[derive(Debug, Clone, PartialEq)]
pub enum GazetteerFetch {
    /// The gazetteer changed (or no etag was given): the content, the body as sent (what the
    /// kiosk caches) and its etag.
    Modified {
        /// The gazetteer, checked against the contract.
        gazetteer: Gazetteer,
        /// The JSON as received.
        body: String,
        /// Its `ETag`, quotes included.
        etag: Option<String>,
    },
    /// The etag given is still current (HTTP 304).
    NotModified,
}

impl PlatformClient {
    /// `GET /v1/gazetteer`, conditional on `etag` when given. A gazetteer that breaks the
    /// contract ([`Gazetteer::check`]) is an error.
    pub fn gazetteer(&self, etag: Option<&str>) -> Result<GazetteerFetch, ClientError> {
        let reply = self.send("GET", "/v1/gazetteer", None, etag, true)?;
        if reply.status == 304 {
            return Ok(GazetteerFetch::NotModified);
        }
        let etag = reply.etag.clone();
        let body = String::from_utf8(reply.body)
            .map_err(|_| ClientError::Decode("gazetteer: not UTF-8".to_owned()))?;
        let gazetteer = Gazetteer::parse(&body).map_err(|e| ClientError::Decode(e.to_string()))?;
        Ok(GazetteerFetch::Modified {
            gazetteer,
            body,
            etag,
        })
    }

    /// `PUT /v1/application-parts/{key}/{n}?sha256=…`: sends one part. The answer's digest
    /// is checked against what was sent; another is a platform breaking the contract.
    pub fn put_application_part(
        &self,
        key: &str,
        n: u32,
        bytes: Vec<u8>,
    ) -> Result<PartReceipt, ClientError> {
        let sha = digest(&bytes);
        let path = format!("/v1/application-parts/{key}/{n}?sha256={sha}");
        let receipt: PartReceipt =
            super::decode(self.send("PUT", &path, Some(bytes), None, true)?)?;
        if receipt.part != n || !receipt.sha256.eq_ignore_ascii_case(&sha) {
            return Err(ClientError::Decode(format!(
                "part {n} acknowledged with another digest"
            )));
        }
        Ok(receipt)
    }

    /// `POST /v1/applications/{key}`: submits the application whose parts have all been
    /// acknowledged; the same key always answers the same case.
    pub fn submit_application(
        &self,
        key: &str,
        application: &Application,
    ) -> Result<Submitted, ClientError> {
        self.post_json(&format!("/v1/applications/{key}"), application)
    }
}
