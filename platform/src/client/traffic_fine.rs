//! Traffic fines: the query and the payment orders. No call retries inside: the kiosk's
//! traffic-fine worker owns that (an order is created under a key it kept first, so
//! sending again is safe).

use super::{decode, ClientError, PlatformClient};
use crate::api::traffic_fine::{
    CancelRequest, Fine, FineList, FineQuery, PaymentOrder, PaymentRequest, UNKNOWN_ORDER,
};

/// Whether `s` may go into a URL path as an order id or key: letters, digits, `-`, `_`.
fn path_safe(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn refused(message: &str) -> ClientError {
    ClientError::Http {
        status: 400,
        code: Some("bad_request".to_owned()),
        message: Some(message.to_owned()),
        retry_after: None,
    }
}

impl PlatformClient {
    /// `POST /v1/traffic-fines/query`: the fines of a decision number or a vehicle (an
    /// empty list when there are none). A fine whose sums break the contract
    /// ([`Fine::is_consistent`]) makes the answer an error, never shown.
    pub fn traffic_fines(&self, q: &FineQuery) -> Result<Vec<Fine>, ClientError> {
        let list: FineList = self.post_json("/v1/traffic-fines/query", q)?;
        if !list.fines.iter().all(Fine::is_consistent) {
            return Err(ClientError::Decode(
                "traffic fines: sums break the contract".to_owned(),
            ));
        }
        Ok(list.fines)
    }

    /// `POST /v1/traffic-fines/payments`: the order for a fine (the same one again for the
    /// same key). 409 `already_paid`, `amount_changed` are [`ClientError::Http`].
    pub fn create_fine_payment(&self, req: &PaymentRequest) -> Result<PaymentOrder, ClientError> {
        if !path_safe(&req.idempotency_key) {
            return Err(refused("idempotency_key: letters, digits, - or _"));
        }
        self.post_json("/v1/traffic-fines/payments", req)
    }

    /// `GET /v1/traffic-fines/payments/{order_id}`: where the order is now.
    pub fn fine_payment(&self, order_id: &str) -> Result<PaymentOrder, ClientError> {
        if !path_safe(order_id) {
            return Err(refused("order_id: letters, digits, - or _"));
        }
        let path = format!("/v1/traffic-fines/payments/{order_id}");
        decode(self.send("GET", &path, None, None, true)?)
    }

    /// `GET /v1/traffic-fines/orders-by-key/{key}`: the order this kiosk created with
    /// `key`, `None` when the platform never got the request (404 `unknown_order`).
    pub fn fine_payment_by_key(&self, key: &str) -> Result<Option<PaymentOrder>, ClientError> {
        if !path_safe(key) {
            return Err(refused("key: letters, digits, - or _"));
        }
        let path = format!("/v1/traffic-fines/orders-by-key/{key}");
        match self.send("GET", &path, None, None, true) {
            Ok(reply) => decode(reply).map(Some),
            Err(ClientError::Http {
                status: 404,
                code: Some(code),
                ..
            }) if code == UNKNOWN_ORDER => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/traffic-fines/cancellations`: gives the order up; the answer says
    /// `cancelled`, or `paid` when the payment came first.
    pub fn cancel_fine_payment(&self, order_id: &str) -> Result<PaymentOrder, ClientError> {
        self.post_json(
            "/v1/traffic-fines/cancellations",
            &CancelRequest {
                order_id: order_id.to_owned(),
            },
        )
    }
}
