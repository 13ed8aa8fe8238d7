//! The CI examples in `examples/ci/` are for users to copy, so every terrane command line in
//! them must be real: this parses each file as YAML, finds the `terrane ...` lines in every
//! script, and runs each with `--help` appended. Clap parses every flag before it reaches
//! `--help`, so an unknown flag, a flag given to the wrong command or a missing subcommand fails.

use super::cli::terrane;
use std::path::PathBuf;

/// Commands the examples use that another branch is still building. Such a command may be
/// missing from the binary; once it exists, its lines are checked like the others.
const PENDING: &[&str] = &["drift"];

fn example(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Shell words of a command line up to the first unquoted redirection, pipe or list operator.
/// `$VAR` references stay literal: clap only needs the shape of the line.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has_word = false;
    let mut quote: Option<char> = None;
    for ch in line.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => cur.push(ch),
            None => match ch {
                '\'' | '"' => {
                    quote = Some(ch);
                    has_word = true;
                }
                '>' | '<' | '|' | ';' | '&' => break,
                c if c.is_whitespace() => {
                    if has_word {
                        out.push(std::mem::take(&mut cur));
                        has_word = false;
                    }
                }
                c => {
                    cur.push(c);
                    has_word = true;
                }
            },
        }
    }
    if has_word {
        out.push(cur);
    }
    out
}

/// Every `terrane` command line in the file's scripts, continuation lines joined.
fn command_lines(yaml: &str) -> Vec<Vec<String>> {
    let doc: serde_json::Value = serde_saphyr::from_str(yaml).expect("the example is valid YAML");
    let mut texts = Vec::new();
    strings(&doc, &mut texts);
    texts
        .iter()
        .flat_map(|t| {
            t.replace("\\\n", " ")
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("terrane "))
                .map(words)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn check_file(name: &str) -> Vec<String> {
    let lines = command_lines(&example(name));
    let mut subcommands = Vec::new();
    for words in &lines {
        let args = &words[1..];
        let sub = args.first().cloned().unwrap_or_default();
        let out = terrane()
            .args(args)
            .arg("--help")
            .output()
            .expect("run terrane");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let missing = stderr.contains("unrecognized subcommand");
        if missing && PENDING.contains(&sub.as_str()) {
            subcommands.push(format!("{sub} (pending)"));
            continue;
        }
        assert!(
            out.status.success(),
            "{name}: `{}` is not a valid terrane command line:\n{stderr}",
            words.join(" ")
        );
        assert!(
            stdout.contains(&format!("Usage: terrane {sub}")),
            "{name}: {stdout}"
        );
        for flag in args.iter().filter(|a| a.starts_with("--")) {
            assert!(
                stdout.contains(flag.as_str()),
                "{name}: `terrane {sub}` has no {flag}"
            );
        }
        subcommands.push(sub);
    }
    subcommands
}

#[test]
fn github_actions_example_uses_real_commands() {
    let subs = check_file("github-actions.yml");
    for want in ["plan", "apply"] {
        assert!(subs.iter().any(|s| s == want), "{subs:?}");
    }
    assert!(subs.iter().any(|s| s.starts_with("drift")), "{subs:?}");
}

#[test]
fn gitlab_ci_example_uses_real_commands() {
    let subs = check_file("gitlab-ci.yml");
    for want in ["plan", "apply"] {
        assert!(subs.iter().any(|s| s == want), "{subs:?}");
    }
    assert!(subs.iter().any(|s| s.starts_with("drift")), "{subs:?}");
}

#[test]
fn shell_words_stop_at_redirections() {
    assert_eq!(
        words(r#"terrane plan "$DIR" --git . --ref "$SHA" > plan.md"#),
        vec!["terrane", "plan", "$DIR", "--git", ".", "--ref", "$SHA"]
    );
    assert_eq!(words("terrane apply x||y"), vec!["terrane", "apply", "x"]);
    assert_eq!(words("terrane a ''"), vec!["terrane", "a", ""]);
}
