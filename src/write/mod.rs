//! Writing files: staged all-or-nothing, buffered, optionally gzipped.

pub mod gzip;
pub mod outfile;
pub mod staging;
