//! `terrane.toml`: the stacks a service reconciles and the policy for each. Read with `toml_edit`
//! rather than serde so every key and value keeps its byte span: an unknown key, a bad duration
//! or a duplicate stack name is reported at file:line:col like any other terrane diagnostic, and
//! every problem in the file is reported in one go.

use super::schedule::{parse_duration, Window};
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use std::fmt;
use std::path::Path;
use std::time::Duration;
use toml_edit::{Document, Item, Table, Value};

/// Whether a new commit is applied or only planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyPolicy {
    Auto,
    PlanOnly,
}

impl ApplyPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyPolicy::Auto => "auto",
            ApplyPolicy::PlanOnly => "plan-only",
        }
    }
}

/// What to do when the cloud moved away from what terrane applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftPolicy {
    /// Apply the last applied configuration again to undo the change.
    Correct,
    /// Flag it (status, metrics, notification) and leave the cloud alone.
    Report,
}

impl DriftPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftPolicy::Correct => "correct",
            DriftPolicy::Report => "report",
        }
    }
}

/// One `[[stack]]`: where its configuration lives and how the service treats it.
#[derive(Debug, Clone, PartialEq)]
pub struct StackConfig {
    pub name: String,
    /// Git URL or local path of the repository.
    pub git: String,
    /// Branch, tag or commit to follow.
    pub git_ref: String,
    /// Directory inside the repository holding the configuration.
    pub path: String,
    /// How often Git is fetched.
    pub interval: Duration,
    /// How often the cloud is re-read for drift.
    pub drift_interval: Duration,
    pub apply: ApplyPolicy,
    pub drift: DriftPolicy,
    /// Delete resources removed from Git (otherwise only report them).
    pub prune: bool,
    /// Times when applies are allowed; `None` = always.
    pub window: Option<Window>,
    /// Name of the environment variable holding the webhook secret; `None` = no webhook.
    pub webhook_secret_env: Option<String>,
    /// URLs that receive JSON events.
    pub notify: Vec<String>,
}

impl StackConfig {
    /// A stack with the documented defaults, for the single-stack command line.
    pub fn new(name: impl Into<String>, git: impl Into<String>) -> StackConfig {
        StackConfig {
            name: name.into(),
            git: git.into(),
            git_ref: DEFAULT_REF.to_string(),
            path: ".".to_string(),
            interval: DEFAULT_INTERVAL,
            drift_interval: DEFAULT_DRIFT_INTERVAL,
            apply: ApplyPolicy::Auto,
            drift: DriftPolicy::Report,
            prune: false,
            window: None,
            webhook_secret_env: None,
            notify: Vec::new(),
        }
    }

    /// The webhook secret from the environment, if the stack has a webhook.
    pub fn webhook_secret(&self) -> Option<Vec<u8>> {
        let var = self.webhook_secret_env.as_ref()?;
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(|v| v.into_encoded_bytes())
    }
}

pub const DEFAULT_REF: &str = "main";
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
pub const DEFAULT_DRIFT_INTERVAL: Duration = Duration::from_secs(600);
/// Shorter intervals would hammer Git hosts and cloud APIs for no benefit.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The keys a `[[stack]]` accepts, in documentation order.
pub const STACK_KEYS: &[&str] = &[
    "name",
    "git",
    "ref",
    "path",
    "interval",
    "drift_interval",
    "apply",
    "drift",
    "prune",
    "window",
    "webhook_secret_env",
    "notify",
];

/// The whole service configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    pub stacks: Vec<StackConfig>,
}

/// A configuration that cannot be used: every problem found, renderable with source snippets.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

impl ConfigError {
    /// Diagnostics with file:line:col, source line and caret, plus a count line.
    pub fn render(&self) -> String {
        let mut out = crate::diag::render_all(&self.diagnostics, &self.sources);
        let n = self.diagnostics.len();
        out.push_str(&format!(
            "error: the service configuration has {n} error{}\n",
            if n == 1 { "" } else { "s" }
        ));
        out
    }

    fn plain(message: String) -> ConfigError {
        ConfigError {
            diagnostics: vec![Diagnostic::error(message)],
            sources: SourceMap::new(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for ConfigError {}

impl ServeConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<ServeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::plain(format!("cannot read config file {}: {e}", path.display()))
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Parses config text; `name` is the file name shown in diagnostics.
    pub fn parse(name: &str, text: &str) -> Result<ServeConfig, ConfigError> {
        let mut sources = SourceMap::new();
        let file = sources.add(name, Path::new(name), text);
        let mut p = Parser {
            file,
            name: name.to_string(),
            text: text.to_string(),
            diags: Vec::new(),
        };
        let stacks = match Document::parse(text) {
            Ok(doc) => p.document(doc.as_table()),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let msg = e.message().trim().to_string();
                p.diags.push(
                    Diagnostic::error(format!("invalid TOML: {msg}"))
                        .at(Span::new(file, span))
                        .label("here"),
                );
                Vec::new()
            }
        };
        if p.diags.is_empty() {
            Ok(ServeConfig { stacks })
        } else {
            Err(ConfigError {
                diagnostics: p.diags,
                sources,
            })
        }
    }

    /// Checks what can only be checked at startup: every named webhook secret is set.
    pub fn check_environment(&self) -> Result<(), String> {
        for s in &self.stacks {
            if let Some(var) = &s.webhook_secret_env {
                if s.webhook_secret().is_none() {
                    return Err(format!(
                        "stack {:?}: webhook_secret_env names the environment variable {var}, \
                         which is not set or empty; set it, or remove webhook_secret_env to \
                         run without a webhook",
                        s.name
                    ));
                }
            }
        }
        Ok(())
    }
}

struct Parser {
    file: FileId,
    name: String,
    text: String,
    diags: Vec<Diagnostic>,
}

impl Parser {
    /// A diagnostic about a value that may hold a secret (URL token, credentials): located by
    /// file:line:col in the message, but without the source snippet, which would print it.
    fn secret_err(&mut self, msg: &str, span: Option<std::ops::Range<usize>>, help: &str) {
        let at = match span {
            Some(r) => {
                let before = self.text.get(..r.start).unwrap_or("");
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                format!(" ({}:{line}:{col})", self.name)
            }
            None => String::new(),
        };
        self.diags
            .push(Diagnostic::error(format!("{msg}{at}")).help(help));
    }

    fn span(&self, r: Option<std::ops::Range<usize>>) -> Option<Span> {
        r.map(|r| Span::new(self.file, r))
    }

    fn err(&mut self, msg: impl Into<String>, span: Option<std::ops::Range<usize>>) {
        let span = self.span(span);
        self.diags.push(Diagnostic::error(msg).at_opt(span));
    }

    fn document(&mut self, root: &Table) -> Vec<StackConfig> {
        let mut stacks = Vec::new();
        for (key, item) in root.iter() {
            let key_span = root.key(key).and_then(|k| k.span());
            if key != "stack" {
                let d = Diagnostic::error(format!("unknown top-level key `{key}`"))
                    .at_opt(self.span(key_span))
                    .label("not a terrane.toml key")
                    .help("the file holds `[[stack]]` tables; service options are command-line flags (see `terrane serve --help`)");
                self.diags.push(d);
                continue;
            }
            match item {
                Item::ArrayOfTables(tables) => {
                    for t in tables.iter() {
                        if let Some(s) = self.stack(t) {
                            stacks.push(s);
                        }
                    }
                }
                other => {
                    let d = Diagnostic::error("`stack` must be written as `[[stack]]` tables")
                        .at_opt(self.span(other.span().or(key_span)))
                        .help("write each stack as a `[[stack]]` header followed by its keys");
                    self.diags.push(d);
                }
            }
        }
        if stacks.is_empty() && self.diags.is_empty() {
            self.diags.push(
                Diagnostic::error("the configuration declares no stack")
                    .help("add a `[[stack]]` table with at least `name` and `git`"),
            );
        }
        self.check_unique(&stacks, root);
        stacks
    }

    fn check_unique(&mut self, stacks: &[StackConfig], root: &Table) {
        let Some(tables) = root.get("stack").and_then(Item::as_array_of_tables) else {
            return;
        };
        let name_span = |i: usize| {
            tables
                .get(i)
                .and_then(|t| t.get("name"))
                .and_then(Item::span)
        };
        let mut seen: Vec<(&str, usize)> = Vec::new();
        // `stacks` skips tables with errors, so locate names by value, not by index.
        let names: Vec<(usize, &str)> = tables
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.get("name").and_then(Item::as_str).map(|n| (i, n)))
            .filter(|(_, n)| stacks.iter().any(|s| s.name == *n))
            .collect();
        for (i, n) in names {
            if let Some((_, first)) = seen.iter().find(|(m, _)| *m == n) {
                let first_span = self.span(name_span(*first));
                let d = Diagnostic::error(format!("stack `{n}` is declared twice"))
                    .at_opt(self.span(name_span(i)))
                    .label("second declaration")
                    .note("first declared here", first_span)
                    .help("stack names must be unique: they key the store, URLs and metrics");
                self.diags.push(d);
            } else {
                seen.push((n, i));
            }
        }
    }

    fn stack(&mut self, t: &Table) -> Option<StackConfig> {
        let before = self.diags.len();
        let header = t.span();
        for (key, _) in t.iter() {
            if !STACK_KEYS.contains(&key) {
                let span = t.key(key).and_then(|k| k.span());
                let mut d = Diagnostic::error(format!("unknown key `{key}` in [[stack]]"))
                    .at_opt(self.span(span))
                    .label("unknown key");
                d = match closest(key, STACK_KEYS) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("known keys: {}", STACK_KEYS.join(", "))),
                };
                self.diags.push(d);
            }
        }
        let name = self.required_str(t, "name", header.clone());
        let git = self.required_str(t, "git", header.clone());
        if let Some((n, span)) = &name {
            if let Err(why) = check_stack_name(n) {
                self.err(format!("invalid stack name {n:?}: {why}"), span.clone());
            }
        }
        if let Some((g, span)) = &git {
            if g.trim().is_empty() {
                self.err("`git` is empty", span.clone());
            } else if has_credentials(g) {
                self.secret_err(
                    "`git` contains credentials in the URL",
                    span.clone(),
                    "credentials in a URL end up in logs and Git config; use a credential helper or SSH key instead",
                );
            }
        }
        let mut s = StackConfig::new(
            name.map(|n| n.0).unwrap_or_default(),
            git.map(|g| g.0).unwrap_or_default(),
        );
        if let Some((v, _)) = self.opt_str(t, "ref") {
            s.git_ref = v;
        }
        if let Some((v, span)) = self.opt_str(t, "path") {
            if Path::new(&v).is_absolute() || v.split('/').any(|c| c == "..") {
                self.err(
                    format!("`path` {v:?} must be relative and stay inside the repository"),
                    span,
                );
            }
            s.path = v;
        }
        if let Some(d) = self.duration(t, "interval") {
            s.interval = d;
        }
        if let Some(d) = self.duration(t, "drift_interval") {
            s.drift_interval = d;
        }
        if let Some((v, span)) = self.opt_str(t, "apply") {
            match v.as_str() {
                "auto" => s.apply = ApplyPolicy::Auto,
                "plan-only" => s.apply = ApplyPolicy::PlanOnly,
                _ => self.bad_choice("apply", &v, &["auto", "plan-only"], span),
            }
        }
        if let Some((v, span)) = self.opt_str(t, "drift") {
            match v.as_str() {
                "correct" => s.drift = DriftPolicy::Correct,
                "report" => s.drift = DriftPolicy::Report,
                _ => self.bad_choice("drift", &v, &["correct", "report"], span.clone()),
            }
            if s.drift == DriftPolicy::Correct && s.apply == ApplyPolicy::PlanOnly {
                let d = Diagnostic::error("drift = \"correct\" needs apply = \"auto\"")
                    .at_opt(self.span(span))
                    .label("correcting drift is an apply")
                    .help("with apply = \"plan-only\" terrane never changes the cloud; use drift = \"report\"");
                self.diags.push(d);
            }
        }
        if let Some(item) = t.get("prune") {
            match item.as_bool() {
                Some(b) => s.prune = b,
                None => self.type_err("prune", "a boolean (true or false)", item),
            }
        }
        if let Some(item) = t.get("window") {
            s.window = self.window(item);
        }
        if let Some((v, span)) = self.opt_str(t, "webhook_secret_env") {
            if !is_env_name(&v) {
                // The value is not echoed: a user who misread the key may have put the secret here.
                self.secret_err(
                    "`webhook_secret_env` must be the name of an environment variable",
                    span,
                    "give the variable's name (e.g. TERRANE_WEBHOOK_SECRET), never the secret itself",
                );
            } else {
                s.webhook_secret_env = Some(v);
            }
        }
        if let Some(item) = t.get("notify") {
            s.notify = self.notify(item);
        }
        (self.diags.len() == before).then_some(s)
    }

    fn required_str(
        &mut self,
        t: &Table,
        key: &str,
        header: Option<std::ops::Range<usize>>,
    ) -> Option<(String, Option<std::ops::Range<usize>>)> {
        if t.get(key).is_none() {
            let d = Diagnostic::error(format!("[[stack]] is missing `{key}`"))
                .at_opt(self.span(header.map(|r| r.start..r.start + 9)))
                .label(format!("this stack has no `{key}`"));
            self.diags.push(d);
            return None;
        }
        self.opt_str(t, key)
    }

    fn opt_str(
        &mut self,
        t: &Table,
        key: &str,
    ) -> Option<(String, Option<std::ops::Range<usize>>)> {
        let item = t.get(key)?;
        match item.as_str() {
            Some(s) => Some((s.to_string(), item.span())),
            None => {
                self.type_err(key, "a string", item);
                None
            }
        }
    }

    fn type_err(&mut self, key: &str, want: &str, item: &Item) {
        let d = Diagnostic::error(format!("`{key}` must be {want}, not {}", item.type_name()))
            .at_opt(self.span(item.span()))
            .label(format!("expected {want}"));
        self.diags.push(d);
    }

    fn bad_choice(
        &mut self,
        key: &str,
        got: &str,
        allowed: &[&str],
        span: Option<std::ops::Range<usize>>,
    ) {
        let list: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
        let d = Diagnostic::error(format!("invalid `{key}` value {got:?}"))
            .at_opt(self.span(span))
            .label(format!("expected one of {}", list.join(", ")));
        self.diags.push(d);
    }

    fn duration(&mut self, t: &Table, key: &str) -> Option<Duration> {
        let (v, span) = self.opt_str(t, key)?;
        match parse_duration(&v) {
            Ok(d) if d < MIN_INTERVAL => {
                self.err(
                    format!("`{key}` {v:?} is shorter than the minimum of 1s"),
                    span,
                );
                None
            }
            Ok(d) => Some(d),
            Err(why) => {
                let d = Diagnostic::error(format!("invalid `{key}` {v:?}: {why}"))
                    .at_opt(self.span(span))
                    .help("write a number with a unit: 30s, 5m, 1h, 1h30m");
                self.diags.push(d);
                None
            }
        }
    }

    fn window(&mut self, item: &Item) -> Option<Window> {
        let mut exprs: Vec<(String, Option<std::ops::Range<usize>>)> = Vec::new();
        match item.as_value() {
            Some(Value::String(s)) => exprs.push((s.value().clone(), s.span())),
            Some(Value::Array(a)) => {
                for v in a.iter() {
                    match v.as_str() {
                        Some(s) => exprs.push((s.to_string(), v.span())),
                        None => {
                            self.err(
                                format!("`window` entries must be strings, not {}", v.type_name()),
                                v.span(),
                            );
                            return None;
                        }
                    }
                }
                if exprs.is_empty() {
                    self.err(
                        "`window` is an empty list, which would forbid every apply; remove it to allow applies at any time, or set apply = \"plan-only\"",
                        item.span(),
                    );
                    return None;
                }
            }
            _ => {
                self.type_err("window", "a string or a list of strings", item);
                return None;
            }
        }
        let mut texts = Vec::new();
        for (text, span) in &exprs {
            if let Err(why) = Window::parse(&[text.as_str()]) {
                let d = Diagnostic::error(format!("invalid `window` {text:?}: {why}"))
                    .at_opt(self.span(span.clone()))
                    .help("five cron fields in UTC: minute hour day-of-month month day-of-week, e.g. \"* 9-17 * * mon-fri\"");
                self.diags.push(d);
                return None;
            }
            texts.push(text.as_str());
        }
        Window::parse(&texts).ok()
    }

    fn notify(&mut self, item: &Item) -> Vec<String> {
        let Some(arr) = item.as_array() else {
            self.type_err("notify", "a list of URLs", item);
            return Vec::new();
        };
        let mut urls = Vec::new();
        for v in arr.iter() {
            let Some(s) = v.as_str() else {
                self.err(
                    format!("`notify` entries must be strings, not {}", v.type_name()),
                    v.span(),
                );
                continue;
            };
            match reqwest::Url::parse(s) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                    urls.push(s.to_string())
                }
                // Webhook URLs carry tokens in their path: never show the value or its line.
                Ok(_) => self.secret_err(
                    &format!(
                        "`notify` URL must be http:// or https://, got {}",
                        redact(s)
                    ),
                    v.span(),
                    "give the receiver's full http(s) URL",
                ),
                Err(e) => self.secret_err(
                    &format!("invalid `notify` URL: {e}"),
                    v.span(),
                    "give the receiver's full http(s) URL",
                ),
            }
        }
        urls
    }
}

/// The single-stack command line (`terrane serve --git URL ...`), checked by the same rules
/// as the file. Errors name the flag instead of a line.
#[derive(Debug, Clone)]
pub struct StackFlags {
    pub name: String,
    pub git: String,
    pub git_ref: String,
    pub path: String,
    pub interval: String,
    pub drift_interval: String,
    pub apply: ApplyPolicy,
    pub drift: DriftPolicy,
    pub prune: bool,
    pub window: Vec<String>,
    pub webhook_secret_env: Option<String>,
    pub notify: Vec<String>,
}

impl StackFlags {
    /// Renders the flags as a one-stack `terrane.toml` and checks it, so both ways of
    /// configuring share one set of rules; diagnostics then point at the flag's name.
    pub fn into_config(self) -> Result<ServeConfig, ConfigError> {
        let q = |s: &str| toml_edit::Value::from(s).to_string();
        let list = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|s| q(s)).collect();
            format!("[{}]", items.join(", "))
        };
        let mut text = String::from("[[stack]]\n");
        let mut line = |k: &str, v: String| text.push_str(&format!("{k} = {v}\n"));
        line("name", q(&self.name));
        line("git", q(&self.git));
        line("ref", q(&self.git_ref));
        line("path", q(&self.path));
        line("interval", q(&self.interval));
        line("drift_interval", q(&self.drift_interval));
        line("apply", q(self.apply.as_str()));
        line("drift", q(self.drift.as_str()));
        line("prune", self.prune.to_string());
        if !self.window.is_empty() {
            line("window", list(&self.window));
        }
        if let Some(v) = &self.webhook_secret_env {
            line("webhook_secret_env", q(v));
        }
        if !self.notify.is_empty() {
            line("notify", list(&self.notify));
        }
        ServeConfig::parse("<command line>", &text).map_err(|mut e| {
            // Present `key` as `--key` and drop the synthetic snippet.
            for d in &mut e.diagnostics {
                d.span = None;
                d.label = None;
                if let Some(i) = d.message.find(" (<command line>:") {
                    d.message.truncate(i);
                }
                for k in STACK_KEYS {
                    let flag = format!("--{}", k.replace('_', "-"));
                    let flag = if *k == "name" {
                        "--stack".to_string()
                    } else {
                        flag
                    };
                    d.message = d.message.replace(&format!("`{k}`"), &format!("`{flag}`"));
                }
                d.notes.clear();
            }
            e
        })
    }
}

/// Stack names appear in URL paths, metric labels and store keys: keep them plain.
pub fn check_stack_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        Err("it is empty")
    } else if name.len() > 64 {
        Err("it is longer than 64 characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Err("use only letters, digits, '-', '_' and '.'")
    } else {
        Ok(())
    }
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `https://user:token@host/...` carries a secret we must neither store nor print.
fn has_credentials(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| u.password().is_some())
}

/// A URL for messages: scheme and host only, because webhook URLs often embed tokens in the path.
pub fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("?")),
        Err(_) => "<unparsable URL>".to_string(),
    }
}

fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[[stack]]
name               = "prod"
git                = "https://git.example.com/acme/infra.git"
ref                = "main"
path               = "prod"
interval           = "1m"
drift_interval     = "10m"
apply              = "auto"
drift              = "report"
prune              = false
window             = ["* 9-17 * * mon-fri"]
webhook_secret_env = "TERRANE_WEBHOOK_SECRET"
notify             = ["https://hooks.example.com/services/T/B/x"]

[[stack]]
name = "staging"
git  = "/srv/git/infra"
apply = "plan-only"
drift = "report"
prune = true
window = "0-29 * * * *"
"#;

    #[test]
    fn full_example_parses() {
        let c = ServeConfig::parse("terrane.toml", FULL).unwrap();
        assert_eq!(c.stacks.len(), 2);
        let p = &c.stacks[0];
        assert_eq!(p.name, "prod");
        assert_eq!(p.git_ref, "main");
        assert_eq!(p.path, "prod");
        assert_eq!(p.interval, Duration::from_secs(60));
        assert_eq!(p.drift_interval, Duration::from_secs(600));
        assert_eq!(p.apply, ApplyPolicy::Auto);
        assert_eq!(p.drift, DriftPolicy::Report);
        assert!(!p.prune);
        assert!(p.window.is_some());
        assert_eq!(
            p.webhook_secret_env.as_deref(),
            Some("TERRANE_WEBHOOK_SECRET")
        );
        assert_eq!(p.notify.len(), 1);
        let s = &c.stacks[1];
        assert_eq!(s.apply, ApplyPolicy::PlanOnly);
        assert_eq!(s.drift, DriftPolicy::Report);
        assert!(s.prune);
        assert_eq!(s.path, ".");
        assert_eq!(s.git_ref, "main");
        assert_eq!(s.interval, DEFAULT_INTERVAL);
        assert!(s.webhook_secret_env.is_none());
    }

    fn errors(text: &str) -> String {
        ServeConfig::parse("terrane.toml", text)
            .unwrap_err()
            .render()
    }

    #[test]
    fn unknown_key_is_located_with_a_suggestion() {
        let r = errors("[[stack]]\nname = \"a\"\ngit = \"/r\"\nintervall = \"1m\"\n");
        assert!(r.contains("unknown key `intervall`"), "{r}");
        assert!(r.contains("--> terrane.toml:4:1"), "{r}");
        assert!(r.contains("did you mean `interval`?"), "{r}");
    }

    #[test]
    fn bad_values_are_located_and_all_reported() {
        let r = errors(
            "[[stack]]\nname = \"a\"\ngit = \"/r\"\ninterval = \"5 parsecs\"\napply = \"yes\"\nprune = \"no\"\nwindow = \"* 25 * * *\"\nnotify = [\"ftp://x\"]\n",
        );
        assert!(r.contains("invalid `interval` \"5 parsecs\""), "{r}");
        assert!(r.contains("terrane.toml:4:12"), "{r}");
        assert!(r.contains("invalid `apply` value \"yes\""), "{r}");
        assert!(r.contains("terrane.toml:5:9"), "{r}");
        assert!(r.contains("`prune` must be a boolean"), "{r}");
        assert!(r.contains("terrane.toml:6:9"), "{r}");
        assert!(r.contains("invalid `window`"), "{r}");
        assert!(r.contains("terrane.toml:7:10"), "{r}");
        assert!(r.contains("must be http:// or https://"), "{r}");
        assert!(r.contains("5 errors"), "{r}");
    }

    #[test]
    fn missing_and_duplicate_names() {
        let r = errors("[[stack]]\ngit = \"/r\"\n");
        assert!(r.contains("missing `name`"), "{r}");
        assert!(r.contains("terrane.toml:1:1"), "{r}");
        let r = errors(
            "[[stack]]\nname = \"a\"\ngit = \"/r\"\n[[stack]]\nname = \"a\"\ngit = \"/s\"\n",
        );
        assert!(r.contains("stack `a` is declared twice"), "{r}");
        assert!(r.contains("terrane.toml:5:8"), "{r}");
        assert!(r.contains("first declared here (terrane.toml:2:8)"), "{r}");
        let r = errors("[[stack]]\nname = \"a b\"\ngit = \"/r\"\n");
        assert!(r.contains("invalid stack name"), "{r}");
        let r = errors(
            "[[stack]]\nname = \"a\"\ngit = \"/r\"\napply = \"plan-only\"\ndrift = \"correct\"\n",
        );
        assert!(r.contains("needs apply = \"auto\""), "{r}");
        assert!(r.contains("terrane.toml:5:9"), "{r}");
    }

    #[test]
    fn toml_syntax_and_top_level_errors() {
        let r = errors("[[stack]\nname = 1\n");
        assert!(r.contains("invalid TOML"), "{r}");
        assert!(r.contains("terrane.toml:1:"), "{r}");
        let r = errors("listen = \"0.0.0.0:80\"\n[[stack]]\nname = \"a\"\ngit = \"/r\"\n");
        assert!(r.contains("unknown top-level key `listen`"), "{r}");
        let r = errors("[stack]\nname = \"a\"\n");
        assert!(r.contains("`[[stack]]` tables"), "{r}");
        let r = errors("");
        assert!(r.contains("declares no stack"), "{r}");
    }

    #[test]
    fn secrets_are_not_echoed() {
        let r = errors("[[stack]]\nname = \"a\"\ngit = \"https://u:hunter2@git.example.com/r\"\n");
        assert!(
            r.contains("credentials in the URL (terrane.toml:3:7)"),
            "{r}"
        );
        assert!(!r.contains("hunter2"), "{r}");
        let r = errors(
            "[[stack]]\nname = \"a\"\ngit = \"/r\"\nnotify = [\"ftp://hooks.example.com/T0K3N\"]\n",
        );
        assert!(!r.contains("T0K3N"), "{r}");
        assert!(r.contains("(terrane.toml:4:11)"), "{r}");
    }

    #[test]
    fn the_deploy_example_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/deploy/terrane.toml");
        let c = ServeConfig::load(Path::new(path)).unwrap();
        assert_eq!(c.stacks.len(), 2);
        assert_eq!(c.stacks[1].drift, DriftPolicy::Correct);
        let e = ServeConfig::load(Path::new("/nonexistent/terrane.toml")).unwrap_err();
        assert!(e.render().contains("cannot read config file"), "{e}");
    }

    #[test]
    fn flags_make_a_checked_stack() {
        let f = StackFlags {
            name: "default".into(),
            git: "/srv/git/infra".into(),
            git_ref: "prod".into(),
            path: "stacks/a".into(),
            interval: "30s".into(),
            drift_interval: "5m".into(),
            apply: ApplyPolicy::Auto,
            drift: DriftPolicy::Correct,
            prune: true,
            window: vec!["* 9-17 * * *".into()],
            webhook_secret_env: None,
            notify: vec!["https://hooks.example.com/x".into()],
        };
        let s = f.clone().into_config().unwrap().stacks.remove(0);
        assert_eq!(s.interval, Duration::from_secs(30));
        assert_eq!(s.git_ref, "prod");
        assert!(s.window.is_some() && s.prune);
        let bad = StackFlags {
            interval: "soon".into(),
            ..f.clone()
        };
        let e = bad.into_config().unwrap_err().render();
        assert!(e.contains("--interval"), "{e}");
        let bad = StackFlags {
            window: vec!["* * *".into()],
            ..f
        };
        let e = bad.into_config().unwrap_err().render();
        assert!(e.contains("--window"), "{e}");
        let bad = StackFlags {
            notify: vec!["ftp://hooks.example.com/T0K3N".into()],
            ..StackFlags {
                name: "default".into(),
                git: "/srv/git/infra".into(),
                git_ref: "main".into(),
                path: ".".into(),
                interval: "1m".into(),
                drift_interval: "10m".into(),
                apply: ApplyPolicy::Auto,
                drift: DriftPolicy::Report,
                prune: false,
                window: vec![],
                webhook_secret_env: None,
                notify: vec![],
            }
        };
        let e = bad.into_config().unwrap_err().render();
        assert!(
            e.contains("`--notify` URL must be http:// or https://"),
            "{e}"
        );
        assert!(!e.contains("T0K3N") && !e.contains("<command line>"), "{e}");
    }

    #[test]
    fn webhook_secret_env_must_be_set_at_startup() {
        let var = "TERRANE_TEST_SECRET_UNSET_9F2";
        let c = ServeConfig::parse(
            "t.toml",
            &format!("[[stack]]\nname = \"a\"\ngit = \"/r\"\nwebhook_secret_env = \"{var}\"\n"),
        )
        .unwrap();
        let e = c.check_environment().unwrap_err();
        assert!(e.contains(var), "{e}");
        let r = errors(
            "[[stack]]\nname = \"a\"\ngit = \"/r\"\nwebhook_secret_env = \"s3cr3t value\"\n",
        );
        assert!(
            r.contains("must be the name of an environment variable"),
            "{r}"
        );
        assert!(!r.contains("s3cr3t"), "{r}");
    }
}
