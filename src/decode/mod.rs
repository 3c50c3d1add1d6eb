//! Bytes to events: the event model and the two subunit decoders.

pub mod event;
pub mod v1;
pub mod v2;
