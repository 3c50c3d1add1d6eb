//! dstat logs: copied byte for byte, but checked with a real CSV reader so
//! users learn when the StackViz front-end would refuse them.

use std::path::Path;

/// Why the front-end would reject this dstat CSV, or `None` if it is fine.
pub fn check(path: &Path) -> Result<Option<String>, std::io::Error> {
    let bytes = std::fs::read(path)?;
    Ok(problem(&bytes))
}

pub fn problem(bytes: &[u8]) -> Option<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = rdr.byte_records();
    let first = match rows.next() {
        None => return Some("the file is empty".into()),
        Some(Err(e)) => return Some(format!("not readable as CSV: {e}")),
        Some(Ok(r)) => r,
    };
    let cell = String::from_utf8_lossy(first.get(0).unwrap_or(b""));
    let cell = cell.trim();
    if first.len() != 1 || !cell.starts_with("Dstat") || !cell.ends_with("CSV output") {
        return Some(format!(
            "the first row is {:?}, not the single cell \"Dstat … CSV output\" of classic dstat",
            String::from_utf8_lossy(first.as_slice())
        ));
    }
    // The group-name row holds "system"; the next one names its "time" column.
    let mut prev: Option<csv::ByteRecord> = None;
    for row in rows.by_ref().take(16) {
        let row = match row {
            Ok(r) => r,
            Err(e) => return Some(format!("not readable as CSV: {e}")),
        };
        if let Some(groups) = &prev {
            if let Some(i) = groups.iter().position(|c| c == b"system") {
                if row.get(i) == Some(b"time") {
                    return None;
                }
            }
        }
        prev = Some(row);
    }
    Some("no \"system\" group with a \"time\" column in the header rows".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSIC: &[u8] = b"\"Dstat 0.7.2 CSV output\"\n\"Author:\",\"Dag Wieers\"\n\n\"system\",\"total cpu usage\",,\n\"time\",\"usr\",\"sys\"\n05-10 19:49:04,1.0,2.0\n";

    #[test]
    fn classic_dstat_passes() {
        assert_eq!(problem(CLASSIC), None);
    }

    #[test]
    fn pcp_dstat_is_reported() {
        let pcp = b"\"pcp-dstat 5.3.7 CSV Output\"\n\"system\"\n\"time\"\n";
        assert!(problem(pcp).unwrap().contains("first row"));
        assert!(problem(b"").unwrap().contains("empty"));
        let no_time = b"\"Dstat 0.7.2 CSV output\"\n\"cpu\"\n\"usr\"\n1\n";
        assert!(problem(no_time).unwrap().contains("time"));
    }
}
