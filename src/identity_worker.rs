//! The identity worker: asks the platform to send an SMS code for a typed ID number (by its
//! holder hash), checks the code the citizen typed, and verifies electronic-ID codes. One
//! order at a time on its own thread; answers go to the UI thread tagged with the session.
//! Nothing is stored and nothing personal is logged: the holder hash, the code and the
//! token only pass through.

use std::sync::Arc;

use kiosk_platform::api::identity::{EidChecked, SmsCodeChecked, SmsCodeSent};
use kiosk_platform::client::PlatformClient;

use crate::app::identify::{EidRefusal, IdentityEvent, IdentityOrder};
use crate::app::{EventSink, KioskEvent, Reply};
use crate::worker::{Spawned, Worker};

/// Starts the worker.
pub fn spawn(
    client: PlatformClient,
    sink: Arc<dyn EventSink>,
) -> std::io::Result<Spawned<Reply<IdentityOrder>>> {
    Worker::spawn(
        "identity",
        client,
        move |client, order: Reply<IdentityOrder>| {
            let event = answer(client, order.event);
            sink.send(KioskEvent::Identity(Reply {
                token: order.token,
                event,
            }));
        },
    )
}

/// The platform's answer to one order, as the identifying page needs it.
pub fn answer(client: &PlatformClient, order: IdentityOrder) -> IdentityEvent {
    let failed = |what: &str, e: kiosk_platform::client::ClientError| {
        // The error names the endpoint and status, never the holder or the code.
        tracing::warn!(error = %e, "identity: {what} failed");
        IdentityEvent::Unreachable
    };
    match order {
        IdentityOrder::SendCode { holder } => match client.send_sms_code(&holder) {
            Ok(SmsCodeSent::Sent { masked_phone, .. }) => IdentityEvent::CodeSent {
                // Masked again here: the screen must never show more, whatever comes.
                masked_phone: crate::app::citizen::mask_phone(&masked_phone),
            },
            Ok(SmsCodeSent::NoPhone) => IdentityEvent::NoPhone,
            Ok(SmsCodeSent::Locked { seconds_left }) => IdentityEvent::Locked { seconds_left },
            Err(e) => failed("sending a code", e),
        },
        IdentityOrder::CheckCode { holder, code } => match client.check_sms_code(&holder, &code) {
            Ok(SmsCodeChecked::Verified { name }) => IdentityEvent::CodeVerified { name },
            Ok(SmsCodeChecked::Wrong { tries_left }) => IdentityEvent::WrongCode { tries_left },
            Ok(SmsCodeChecked::Expired) => IdentityEvent::CodeExpired,
            Ok(SmsCodeChecked::NoCode) => IdentityEvent::NoCode,
            Ok(SmsCodeChecked::Locked { seconds_left }) => IdentityEvent::Locked { seconds_left },
            Err(e) => failed("checking a code", e),
        },
        IdentityOrder::CheckEid { token } => match client.check_eid_code(&token) {
            Ok(EidChecked::Verified {
                holder,
                name,
                masked_id,
            }) if kiosk_platform::api::is_holder_hash(&holder) => IdentityEvent::EidVerified {
                holder,
                name,
                masked_id: kiosk_platform::api::identity::mask_id_number(&masked_id),
            },
            Ok(EidChecked::Verified { .. }) => {
                tracing::warn!("identity: e-ID answer without a holder hash");
                IdentityEvent::Unreachable
            }
            Ok(EidChecked::Expired) => IdentityEvent::EidRefused(EidRefusal::Expired),
            Ok(EidChecked::Used) => IdentityEvent::EidRefused(EidRefusal::Used),
            Ok(EidChecked::Invalid) => IdentityEvent::EidRefused(EidRefusal::Invalid),
            Err(e) => failed("checking an e-ID code", e),
        },
    }
}
