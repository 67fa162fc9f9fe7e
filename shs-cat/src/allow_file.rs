//! `listen --allow-file FILE`: the clients a server lets in, one id per line.

use std::path::Path;

use secret_handshake::PublicKey;

/// Reads the ids in `path`. Blank lines and everything after a `#` are ignored; any other line
/// must be one id. Errors name the file and, for a bad id, the line number.
pub fn read(path: &Path) -> Result<Vec<PublicKey>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading the allow file {}: {e}", path.display()))?;
    parse(&text).map_err(|(line, e)| format!("allow file {}, line {line}: {e}", path.display()))
}

/// The ids in an allow file's text, or the first bad line's number (from 1) and what is wrong.
fn parse(text: &str) -> Result<Vec<PublicKey>, (usize, String)> {
    let mut ids = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let id = line.split('#').next().unwrap_or_default().trim();
        if id.is_empty() {
            continue;
        }
        let key = id.parse().map_err(|e| {
            (
                index + 1,
                format!("{e}: expected one @<base64>.ed25519, base64 or hex id"),
            )
        })?;
        ids.push(key);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "@AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=.ed25519";

    #[test]
    fn comments_blank_lines_and_spaces_are_skipped() {
        let hex = "02".repeat(32);
        let text = format!("# clients\n\n  {A}  # alice\n\t\n{hex}\r\n#{A}\n");
        let ids = parse(&text).expect("valid");
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0].to_ssb_id(), A);
        assert_eq!(ids[1].to_hex(), hex);
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number() {
        let (line, message) = parse(&format!("{A}\n\n{A} extra\n")).expect_err("invalid");
        assert_eq!(line, 3);
        assert!(message.contains("expected one"), "{message}");
    }

    #[test]
    fn an_empty_file_allows_no_one() {
        assert!(parse("").expect("valid").is_empty());
        assert!(parse("# nobody yet\n").expect("valid").is_empty());
    }
}
