//! The attachment cap: a fair share of [`ATTACHMENT_CAP`] per attachment.

use super::{ATTACHMENT_CAP, LINE_SNAP};

/// Applies the attachment cap: (key, kept text, bytes cut).
#[cfg(test)]
pub(super) fn cap_attachments(details: &[(String, String)]) -> Vec<(&str, &str, usize)> {
    let lens: Vec<usize> = details.iter().map(|(_, v)| v.len()).collect();
    cap_with_lengths(details, &lens)
}

/// [`cap_attachments`] where `lens` are the attachments' full lengths,
/// which exceed the texts held when an attachment was spooled (only its
/// end stays in memory): shares and the "cut" count use the full length.
pub(super) fn cap_with_lengths<'a>(
    details: &'a [(String, String)],
    lens: &[usize],
) -> Vec<(&'a str, &'a str, usize)> {
    let shares = fair_shares(lens, ATTACHMENT_CAP);
    details
        .iter()
        .zip(lens)
        .zip(shares)
        .map(|(((k, v), &full), keep)| {
            let kept = keep_end(v, keep);
            (k.as_str(), kept, full.max(v.len()) - kept.len())
        })
        .collect()
}

/// Splits `budget` over items of the given sizes: items no larger than an
/// equal share of what is left stay whole, the rest get equal shares.
pub(super) fn fair_shares(lens: &[usize], budget: usize) -> Vec<usize> {
    if lens.iter().sum::<usize>() <= budget {
        return lens.to_vec();
    }
    let mut order: Vec<usize> = (0..lens.len()).collect();
    order.sort_by_key(|&i| lens[i]);
    let mut out = vec![0; lens.len()];
    let mut left = budget;
    for (k, &i) in order.iter().enumerate() {
        let share = left / (lens.len() - k);
        if lens[i] <= share {
            out[i] = lens[i];
            left -= lens[i];
        } else {
            for &j in &order[k..] {
                out[j] = share;
            }
            break;
        }
    }
    out
}

/// The last at most `keep` bytes of `text`, starting on a character and,
/// when one is within reach, just after a line break.
pub(super) fn keep_end(text: &str, keep: usize) -> &str {
    if keep >= text.len() {
        return text;
    }
    let mut from = text.len() - keep;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let tail = &text[from..];
    let reach = tail.len().min(LINE_SNAP);
    match tail.as_bytes()[..reach].iter().position(|&b| b == b'\n') {
        Some(nl) if nl + 1 < tail.len() => &tail[nl + 1..],
        _ => tail,
    }
}

/// At most `max` bytes of `s`, cut on a character, with `…` when cut.
pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_attachment_counts_its_full_length_as_cut() {
        // Only the end of a spooled attachment is held in memory.
        let end = "x".repeat(ATTACHMENT_CAP * 2);
        let details = vec![("log".to_owned(), end)];
        let full = 200 * 1024 * 1024;
        let capped = cap_with_lengths(&details, &[full]);
        assert_eq!(capped[0].1.len(), ATTACHMENT_CAP);
        assert_eq!(capped[0].2, full - ATTACHMENT_CAP);
    }
}
