//! Opening inputs: stream files, standard input, repository runs, dstat logs.

pub mod dstat;
pub mod repo;
pub mod source;
