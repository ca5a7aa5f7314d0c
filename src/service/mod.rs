//! The staff screen's worker: carries out staff orders (retry, restock, test slip, out of
//! service) off the UI thread. Citizens' services have their workers in `crate::services`.

pub mod pin;
pub mod staff_service;
