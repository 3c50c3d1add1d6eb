//! Events to test records and entries, attachments to text, stats.

pub mod attachment;
pub mod entry;
pub mod failure;
pub mod frontend;
pub mod lanes;
pub mod record;
pub mod stats;
pub mod tags;
