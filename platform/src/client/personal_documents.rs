//! Personal documents: the holder's list and one document, by
//! [`holder_hash`](crate::api::holder_hash).

use super::{decode, ClientError, PlatformClient};
use crate::api::is_holder_hash;
use crate::api::personal_documents::{is_document_id, Document, DocumentList, DocumentSummary};

fn bad_holder() -> ClientError {
    // Refused before sending: a wrong value here might be a raw ID number, which must not
    // go into a URL.
    ClientError::Http {
        status: 400,
        code: Some("bad_request".to_owned()),
        message: Some("holder must be the 64-hex-digit holder hash".to_owned()),
        retry_after: None,
    }
}

impl PlatformClient {
    /// `GET /v1/documents?holder=…`: the documents the platform keeps for the holder,
    /// newest first; empty when none.
    pub fn documents_of_holder(
        &self,
        holder_hash: &str,
    ) -> Result<Vec<DocumentSummary>, ClientError> {
        if !is_holder_hash(holder_hash) {
            return Err(bad_holder());
        }
        let path = format!("/v1/documents?holder={}", holder_hash.to_ascii_lowercase());
        let list: DocumentList = decode(self.send("GET", &path, None, None, true)?)?;
        Ok(list.documents)
    }

    /// `GET /v1/documents/{id}?holder=…`: one of the holder's documents in full; `None`
    /// when the platform has no such document for the holder (404 `unknown_document`) or
    /// `id` cannot be one (nothing is sent then).
    pub fn document(&self, id: &str, holder_hash: &str) -> Result<Option<Document>, ClientError> {
        if !is_holder_hash(holder_hash) {
            return Err(bad_holder());
        }
        if !is_document_id(id) {
            return Ok(None);
        }
        let path = format!(
            "/v1/documents/{}?holder={}",
            id.to_ascii_uppercase(),
            holder_hash.to_ascii_lowercase()
        );
        match self.send("GET", &path, None, None, true) {
            Ok(reply) => decode(reply).map(Some),
            Err(ClientError::Http {
                status: 404,
                code: Some(code),
                ..
            }) if code == "unknown_document" => Ok(None),
            Err(e) => Err(e),
        }
    }
}
