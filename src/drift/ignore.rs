//! `.terraneignore`: silences known drift and known unmanaged resources, so a drift report shows
//! only what someone has to act on. Its syntax borrows from `.gitignore`, over addresses instead
//! of file paths:
//!
//! ```text
//! # a whole resource (its drift, its deletion)
//! aws_s3_bucket.legacy
//! # one attribute, or everything below it
//! aws_sqs_queue.jobs.visibility_timeout_seconds
//! aws_iam_role.ci.tags.LastRotated
//! # `*` matches any run of characters, dots included
//! *.tags.UpdatedBy
//! # unmanaged resources are matched as TYPE.ID
//! aws_s3_bucket.cdk-assets-*
//! # `!` re-includes; later lines win
//! !aws_s3_bucket.cdk-assets-prod
//! ```
//!
//! A pattern matches a subject if it matches the whole subject or any ancestor of it (`address`,
//! `address.tags`, `address.tags.Env`), so ignoring a resource ignores all its attributes and a
//! later `!address.tags` brings its tags back. Blank lines and lines starting with `#` are
//! skipped; `\#` and `\!` start a pattern with a literal `#` or `!`. Mistakes are reported with
//! file:line:col, all at once.

use crate::diag::{render_all, Diagnostic, SourceMap, Span};
use std::path::Path;

/// The parsed rules of one ignore file (empty = nothing ignored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    negate: bool,
    /// The literal pieces between `*`s; the pattern is anchored at both ends.
    pieces: Vec<String>,
}

/// Bad patterns, each located in the file.
#[derive(Debug, Clone)]
pub struct IgnoreError {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl IgnoreError {
    /// rustc-style rendering with the offending line and a caret.
    pub fn render(&self) -> String {
        render_all(&self.diagnostics, &self.sources)
    }
}

impl std::fmt::Display for IgnoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.diagnostics {
            match d.span {
                Some(s) => writeln!(f, "{}: {}", self.sources.location(s), d.message)?,
                None => writeln!(f, "{}", d.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for IgnoreError {}

impl IgnoreRules {
    /// No rules: nothing is ignored.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses the text of an ignore file; `name` is how the file is shown in errors.
    pub fn parse(name: &str, text: &str) -> Result<IgnoreRules, IgnoreError> {
        let mut sources = SourceMap::new();
        let file = sources.add(name, Path::new(name), text);
        let mut rules = Vec::new();
        let mut diagnostics = Vec::new();
        let mut offset = 0;
        for raw in text.split_inclusive('\n') {
            let line_start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            let lead = line.len() - line.trim_start().len();
            let body = line.trim();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let start = line_start + lead;
            match parse_rule(body) {
                Ok(rule) => rules.push(rule),
                Err(e) => {
                    let at = start + e.at;
                    let end = (at + e.len.max(1)).min(start + body.len()).max(at);
                    let mut d = Diagnostic::error(e.message)
                        .at(Span::new(file, at..end))
                        .label(e.label);
                    if let Some(h) = e.help {
                        d = d.help(h);
                    }
                    diagnostics.push(d);
                }
            }
        }
        if diagnostics.is_empty() {
            Ok(IgnoreRules { rules })
        } else {
            Err(IgnoreError {
                diagnostics,
                sources,
            })
        }
    }

    /// Number of rules, for messages.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// True if a managed resource's drift and deletion are silenced.
    pub fn ignores_resource(&self, address: &str) -> bool {
        self.decide(&[address.to_string()])
    }

    /// True if drift of the attribute at `path` (`tags.Env`, `ingress[0].cidr_blocks`) of the
    /// resource at `address` is silenced, by a rule on it, on an enclosing path, or on the
    /// resource.
    pub fn ignores_attribute(&self, address: &str, path: &str) -> bool {
        let mut levels = vec![address.to_string()];
        levels.extend(path_prefixes(path).map(|p| format!("{address}.{p}")));
        self.decide(&levels)
    }

    /// True if an unmanaged resource, matched as `TYPE.ID`, is silenced.
    pub fn ignores_unmanaged(&self, type_name: &str, id: &str) -> bool {
        self.decide(&[format!("{type_name}.{id}")])
    }

    /// The last rule matching any level decides; no match means not ignored.
    fn decide(&self, levels: &[String]) -> bool {
        let mut ignored = false;
        for r in &self.rules {
            if levels.iter().any(|l| glob_match(&r.pieces, l)) {
                ignored = !r.negate;
            }
        }
        ignored
    }
}

/// `tags`, `tags.Env` for `tags.Env`; `ingress`, `ingress[0]`, `ingress[0].port` for
/// `ingress[0].port`. Quoted keys (`tags["a.b"]`) are not split inside the quotes.
fn path_prefixes(path: &str) -> impl Iterator<Item = &str> {
    let mut cuts = Vec::new();
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in path.char_indices() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '.' | '[' if i > 0 => cuts.push(i),
            _ => {}
        }
    }
    cuts.push(path.len());
    cuts.into_iter().map(move |i| &path[..i])
}

/// Matches `s` against pieces separated by `*` (anchored at both ends).
fn glob_match(pieces: &[String], s: &str) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return s.is_empty();
    };
    let Some(mut tail) = s.strip_prefix(first.as_str()) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        // No `*` at all: an exact match.
        return tail.is_empty();
    };
    for piece in middle {
        match tail.find(piece.as_str()) {
            Some(i) => tail = &tail[i + piece.len()..],
            None => return false,
        }
    }
    tail.len() >= last.len() && tail.ends_with(last.as_str())
}

/// A mistake in one line, at a byte offset within the trimmed line.
struct LineError {
    at: usize,
    len: usize,
    message: String,
    label: &'static str,
    help: Option<String>,
}

fn parse_rule(body: &str) -> Result<Rule, LineError> {
    let err = |at: usize, len: usize, message: String, label, help: Option<String>| LineError {
        at,
        len,
        message,
        label,
        help,
    };
    let (negate, skip) = if body.starts_with('!') {
        (true, 1)
    } else if body.starts_with("\\!") || body.starts_with("\\#") {
        (false, 1)
    } else {
        (false, 0)
    };
    let pat = &body[skip..];
    if negate && pat.trim().is_empty() {
        return Err(err(
            0,
            1,
            "`!` must be followed by a pattern".into(),
            "nothing to re-include",
            Some("write `!ADDRESS` to re-include what an earlier line ignored".into()),
        ));
    }
    if pat.starts_with('/') {
        return Err(err(
            skip,
            1,
            format!("`{pat}` looks like a file path"),
            "patterns are addresses, not paths",
            Some(
                "write resource addresses (`aws_s3_bucket.logs`), attribute paths \
                 (`aws_s3_bucket.logs.tags.Owner`) or `TYPE.ID` for unmanaged resources"
                    .into(),
            ),
        ));
    }

    // Brackets, quotes and spaces, with positions for the errors.
    let mut depth = 0usize;
    let mut open_at = 0;
    let mut in_str = false;
    let mut str_at = 0;
    let mut escaped = false;
    let mut top_level_dot = false;
    for (i, c) in pat.char_indices() {
        let at = skip + i;
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                str_at = at;
            }
            '[' => {
                if depth == 0 {
                    open_at = at;
                }
                depth += 1;
            }
            ']' => {
                if depth == 0 {
                    return Err(err(
                        at,
                        1,
                        "`]` without a matching `[`".into(),
                        "unbalanced bracket",
                        None,
                    ));
                }
                depth -= 1;
            }
            '.' if depth == 0 => {
                top_level_dot = true;
                let prev = pat[..i].chars().next_back();
                let next = pat[i + 1..].chars().next();
                if prev.is_none() || next.is_none() || next == Some('.') {
                    return Err(err(
                        at,
                        1,
                        format!("empty segment in `{pat}`"),
                        "a name is missing around this dot",
                        None,
                    ));
                }
            }
            c if c.is_whitespace() => {
                let rest = pat[i..].trim_start();
                let help = if rest.starts_with('#') {
                    "comments go on a line of their own, starting with `#`"
                } else {
                    "write one pattern per line; quote map keys that contain spaces: \
                     `tags[\"Cost Center\"]`"
                };
                return Err(err(
                    at,
                    1,
                    format!("a pattern cannot contain spaces: `{pat}`"),
                    "space here",
                    Some(help.into()),
                ));
            }
            _ => {}
        }
    }
    if in_str {
        return Err(err(
            str_at,
            pat.len() + skip - str_at,
            "unterminated string in the pattern".into(),
            "this quote is never closed",
            None,
        ));
    }
    if depth > 0 {
        return Err(err(
            open_at,
            1,
            "`[` without a matching `]`".into(),
            "unbalanced bracket",
            None,
        ));
    }
    if !top_level_dot && !pat.contains('*') {
        return Err(err(
            skip,
            pat.len(),
            format!("`{pat}` matches nothing"),
            "not an address",
            Some(format!(
                "patterns are `TYPE.NAME` addresses, `ADDRESS.ATTRIBUTE` paths, or `TYPE.ID` \
                 for unmanaged resources; to match every resource of a type write `{pat}.*`"
            )),
        ));
    }
    // `**` means the same as `*` here (a `*` already crosses dots).
    let pieces = pat.split('*').map(str::to_string).collect::<Vec<_>>();
    Ok(Rule { negate, pieces })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> IgnoreRules {
        IgnoreRules::parse(".terraneignore", text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_attribute() {
        let r = rules("aws_sqs_queue.jobs.visibility_timeout_seconds\n");
        assert!(r.ignores_attribute("aws_sqs_queue.jobs", "visibility_timeout_seconds"));
        assert!(!r.ignores_attribute("aws_sqs_queue.jobs", "delay_seconds"));
        assert!(!r.ignores_attribute("aws_sqs_queue.other", "visibility_timeout_seconds"));
        assert!(!r.ignores_resource("aws_sqs_queue.jobs"));
        // Everything below an ignored path is ignored; a longer name is not below it.
        let r = rules("aws_s3_bucket.b.tags\n");
        assert!(r.ignores_attribute("aws_s3_bucket.b", "tags.Env"));
        assert!(r.ignores_attribute("aws_s3_bucket.b", "tags[\"a.b/c\"]"));
        assert!(!r.ignores_attribute("aws_s3_bucket.b", "tags_all.Env"));
    }

    #[test]
    fn a_whole_resource() {
        let r = rules("# legacy, owned by another team\n\naws_s3_bucket.legacy\n");
        assert!(r.ignores_resource("aws_s3_bucket.legacy"));
        assert!(r.ignores_attribute("aws_s3_bucket.legacy", "policy"));
        assert!(r.ignores_attribute("aws_s3_bucket.legacy", "rule[0].id"));
        assert!(!r.ignores_resource("aws_s3_bucket.legacy2"));
        assert!(!r.ignores_resource("aws_s3_bucket.leg"));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn a_wildcard() {
        let r = rules("*.tags.UpdatedBy\naws_s3_bucket.cdk-*\n");
        assert!(r.ignores_attribute("aws_iam_role.ci", "tags.UpdatedBy"));
        assert!(r.ignores_attribute("module.a.aws_sqs_queue.q[\"x\"]", "tags.UpdatedBy"));
        assert!(!r.ignores_attribute("aws_iam_role.ci", "tags.Owner"));
        assert!(r.ignores_unmanaged("aws_s3_bucket", "cdk-assets-123"));
        assert!(!r.ignores_unmanaged("aws_s3_bucket", "logs"));
        assert!(!r.ignores_unmanaged("aws_sqs_queue", "cdk-assets-123"));
        // `*` crosses dots, so ids with dots and URLs match too.
        let r = rules("aws_sqs_queue.*/legacy-*\n");
        assert!(r.ignores_unmanaged("aws_sqs_queue", "http://127.0.0.1:5000/123/legacy-jobs"));
        assert!(!r.ignores_unmanaged("aws_sqs_queue", "http://127.0.0.1:5000/123/jobs"));
        let r = rules("aws_s3_bucket.*\n");
        assert!(r.ignores_resource("aws_s3_bucket.x"));
        assert!(!r.ignores_resource("aws_s3_bucketx.y"));
        assert!(glob_match(&["a".into(), "".into(), "b".into()], "ab"));
        assert!(!glob_match(&["ab".into(), "ba".into()], "aba"));
    }

    #[test]
    fn a_negation_and_later_lines_win() {
        let r = rules("aws_s3_bucket.*\n!aws_s3_bucket.prod\n");
        assert!(r.ignores_resource("aws_s3_bucket.dev"));
        assert!(!r.ignores_resource("aws_s3_bucket.prod"));
        assert!(!r.ignores_attribute("aws_s3_bucket.prod", "policy"));
        // Ignore a resource but keep one attribute of it.
        let r = rules("aws_iam_role.ci\n!aws_iam_role.ci.assume_role_policy\n");
        assert!(r.ignores_attribute("aws_iam_role.ci", "tags.Env"));
        assert!(!r.ignores_attribute("aws_iam_role.ci", "assume_role_policy"));
        // Order matters: a later ignore overrides an earlier negation.
        let r = rules("!aws_s3_bucket.prod\naws_s3_bucket.*\n");
        assert!(r.ignores_resource("aws_s3_bucket.prod"));
        // Unmanaged, with an escaped literal `!` pattern alongside.
        let r = rules("aws_s3_bucket.cdk-*\n!aws_s3_bucket.cdk-prod\n\\!odd.*\n");
        assert!(r.ignores_unmanaged("aws_s3_bucket", "cdk-dev"));
        assert!(!r.ignores_unmanaged("aws_s3_bucket", "cdk-prod"));
        assert!(r.ignores_unmanaged("!odd", "x"));
    }

    #[test]
    fn bad_patterns_are_located() {
        let text = "aws_s3_bucket.ok\n  aws_s3_bucket\n!\naws_s3_bucket.a # why\n\
                    /aws_s3_bucket.b\naws_s3_bucket..c\naws_s3_bucket.d.tags[\"x\"\n\
                    aws_s3_bucket.e.tags[\"x]\n";
        let e = IgnoreRules::parse("infra/.terraneignore", text).unwrap_err();
        let s = e.to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 7, "{s}");
        assert_eq!(
            lines[0],
            "infra/.terraneignore:2:3: `aws_s3_bucket` matches nothing"
        );
        assert_eq!(
            lines[1],
            "infra/.terraneignore:3:1: `!` must be followed by a pattern"
        );
        assert_eq!(
            lines[2],
            "infra/.terraneignore:4:16: a pattern cannot contain spaces: `aws_s3_bucket.a # why`"
        );
        assert!(lines[3].starts_with("infra/.terraneignore:5:1: "), "{s}");
        assert_eq!(
            lines[4],
            "infra/.terraneignore:6:14: empty segment in `aws_s3_bucket..c`"
        );
        assert_eq!(
            lines[5],
            "infra/.terraneignore:7:21: `[` without a matching `]`"
        );
        assert_eq!(
            lines[6],
            "infra/.terraneignore:8:22: unterminated string in the pattern"
        );
        let rendered = e.render();
        assert!(
            rendered.contains("--> infra/.terraneignore:2:3"),
            "{rendered}"
        );
        assert!(
            rendered.contains("help: patterns are `TYPE.NAME` addresses"),
            "{rendered}"
        );
        assert!(rendered.contains("own, starting with `#`"), "{rendered}");
    }
}
