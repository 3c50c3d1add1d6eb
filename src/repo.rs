//! Placeholder until repository support lands.
use std::path::{Path, PathBuf};

pub struct Repository {
    pub dir: PathBuf,
}
pub struct Run {
    pub id: u64,
    pub path: PathBuf,
}
impl Repository {
    pub fn open(given: &Path) -> crate::Result<Repository> {
        Err(crate::Error::Usage(format!(
            "not a test repository: {}",
            given.display()
        )))
    }
    pub fn latest_run(&self) -> crate::Result<Option<Run>> {
        Ok(None)
    }
    pub fn all_runs(&self) -> crate::Result<Vec<Run>> {
        Ok(Vec::new())
    }
}
pub fn repo_basename(given: &Path) -> String {
    crate::source::basename(given)
}
