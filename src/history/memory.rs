//! A store in memory: the history of runs read in this export (an earlier
//! run given with `--baseline`, a repository's runs with `--all-runs`),
//! with no file. Also the smallest complete [`Store`] implementation.

use std::collections::HashMap;

use super::{HResult, PreviousRun, RowId, RunRow, Store, StoreTx, StoredTest, TestWrite};

#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    runs: Vec<MemRun>,
    keys: HashMap<String, RowId>,
    tests: HashMap<String, StoredTest>,
    next_test: RowId,
}

#[derive(Debug, Clone)]
struct MemRun {
    id: RowId,
    uuid: String,
    job: String,
    description: String,
    tests: Vec<(String, String)>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs held, oldest first, as (uuid, description, test count).
    pub fn runs(&self) -> impl Iterator<Item = (&str, &str, usize)> {
        self.runs
            .iter()
            .map(|r| (r.uuid.as_str(), r.description.as_str(), r.tests.len()))
    }
}

impl Store for MemoryStore {
    fn location(&self) -> String {
        "(memory)".into()
    }

    fn begin(&mut self) -> HResult<Box<dyn StoreTx + '_>> {
        let work = self.clone();
        Ok(Box::new(MemTx { target: self, work }))
    }
}

/// Works on a copy; `commit` swaps it in, dropping it discards it.
struct MemTx<'a> {
    target: &'a mut MemoryStore,
    work: MemoryStore,
}

impl StoreTx for MemTx<'_> {
    fn find_run(&mut self, key: &str) -> HResult<Option<RowId>> {
        Ok(self.work.keys.get(key).copied())
    }

    fn load_tests(&mut self, names: &[&str]) -> HResult<Vec<Option<StoredTest>>> {
        Ok(names
            .iter()
            .map(|n| self.work.tests.get(*n).cloned())
            .collect())
    }

    fn previous_run(&mut self, job: &str, before: Option<RowId>) -> HResult<Option<PreviousRun>> {
        let before = before.unwrap_or(RowId::MAX);
        Ok(self
            .work
            .runs
            .iter()
            .rev()
            .find(|r| r.job == job && r.id < before)
            .map(|r| PreviousRun {
                id: r.id,
                uuid: r.uuid.clone(),
                description: r.description.clone(),
                tests: r.tests.clone(),
            }))
    }

    fn insert_run(&mut self, row: &RunRow<'_>) -> HResult<RowId> {
        let id = self.work.runs.len() as RowId + 1;
        self.work.keys.insert(row.run.key.clone(), id);
        self.work.runs.push(MemRun {
            id,
            uuid: row.uuid.clone(),
            job: row.run.job.clone(),
            description: row.run.description.clone(),
            tests: Vec::new(),
        });
        Ok(id)
    }

    fn write_tests(&mut self, run: RowId, tests: &[TestWrite<'_>]) -> HResult<()> {
        let mut names = Vec::with_capacity(tests.len());
        for w in tests {
            let id = w.id.unwrap_or_else(|| {
                self.work.next_test += 1;
                self.work.next_test
            });
            self.work.tests.insert(
                w.result.name.clone(),
                StoredTest {
                    id,
                    counters: w.counters,
                    rolling: w.rolling.clone(),
                },
            );
            names.push((w.result.name.clone(), w.result.status.clone()));
        }
        if let Some(r) = self.work.runs.iter_mut().find(|r| r.id == run) {
            r.tests = names;
        }
        Ok(())
    }

    fn commit(self: Box<Self>) -> HResult<()> {
        *self.target = self.work;
        Ok(())
    }
}
