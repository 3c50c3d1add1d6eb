//! Helpers shared by the integration tests. The reusable ones live in the
//! crate's `testkit` module (also used by examples, benches and fuzz
//! targets); add test-only helpers here.
#![allow(unused_imports)]

pub mod browser;
pub mod ci_formats;
pub mod ci_run;
pub mod history;
pub mod report;

pub use stackviz_export::testkit::export_check::*;
pub use stackviz_export::testkit::{Keep, Trickle};
