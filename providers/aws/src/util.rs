//! Helpers shared by the resource modules: attribute access, tags, policy JSON normalisation,
//! and mapping SDK errors onto the provider error kinds.

use std::collections::BTreeMap;
use terrane_provider::{ErrorKind, ProviderError, Value, OWNER_ADDRESS_TAG, OWNER_STACK_TAG};

/// Ownership tags for a resource, merged over the user's tags and the provider's default tags.
pub fn tags_with_owner(
    user: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
    stack: &str,
    address: &str,
) -> BTreeMap<String, String> {
    let mut all = default_tags.clone();
    all.extend(user.iter().map(|(k, v)| (k.clone(), v.clone())));
    all.insert(OWNER_STACK_TAG.to_string(), stack.to_string());
    all.insert(OWNER_ADDRESS_TAG.to_string(), address.to_string());
    all
}

/// Drops terrane's ownership tags, which are never shown in diffs.
pub fn strip_owner_tags(tags: &mut BTreeMap<String, String>) {
    tags.remove(OWNER_STACK_TAG);
    tags.remove(OWNER_ADDRESS_TAG);
}

/// Reads a string map attribute (such as `tags`) from a config value.
pub fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Map(m)) => m
            .iter()
            .filter_map(|(k, v)| v.to_string_lossy().map(|s| (k.clone(), s)))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Turns a string map into a Value map.
pub fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// Normalises a JSON policy document so that formatting and ordering never count as a change:
/// keys sorted, whitespace removed, single-item lists under `Action`, `Resource`, `Principal`
/// values and condition values written as plain strings (IAM treats both forms the same), and
/// Statement lists of one element likewise kept as a list.
pub fn normalize_policy(doc: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(doc) {
        Ok(v) => serde_json::to_string(&normalize_json(v, None)).unwrap_or_else(|_| doc.into()),
        Err(_) => doc.to_string(),
    }
}

fn normalize_json(v: serde_json::Value, key: Option<&str>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(o) => {
            let mut sorted: Vec<(String, J)> = o.into_iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(
                sorted
                    .into_iter()
                    .map(|(k, v)| {
                        let nv = normalize_json(v, Some(&k));
                        (k, nv)
                    })
                    .collect(),
            )
        }
        J::Array(a) => {
            let mut items: Vec<J> = a.into_iter().map(|x| normalize_json(x, key)).collect();
            if key == Some("Statement") {
                return J::Array(items);
            }
            // Sets of strings in policies are unordered.
            if items.iter().all(J::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                items.dedup();
            }
            if items.len() == 1 {
                items.pop().unwrap_or(J::Null)
            } else {
                J::Array(items)
            }
        }
        other => other,
    }
}

/// Maps an SDK error to the provider error kinds by its code and HTTP status.
pub fn classify(code: Option<&str>, status: Option<u16>, message: String) -> ProviderError {
    let not_found = code.is_some_and(|c| {
        c.contains("NotFound")
            || c.contains("NoSuch")
            || c == "ResourceNotFoundException"
            || c == "AWS.SimpleQueueService.NonExistentQueue"
            || c == "QueueDoesNotExist"
            || c.ends_with(".NotFound")
            || c == "ParameterNotFound"
    }) || status == Some(404);
    let kind = if not_found {
        ErrorKind::NotFound
    } else if code.is_some_and(|c| c.contains("Throttl") || c == "RequestLimitExceeded")
        || status.is_some_and(|s| s >= 500)
    {
        ErrorKind::Transient
    } else if status.is_some_and(|s| (400..500).contains(&s)) {
        ErrorKind::Invalid
    } else {
        ErrorKind::Other
    };
    ProviderError::new(kind, message)
}

/// Converts any aws-sdk-rust operation error into a provider error.
pub fn sdk_error<E, R>(
    op: &str,
    err: aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> ProviderError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let status = se.raw().status_code();
            let msg = service_error_message(op, e.code(), e.message(), status);
            classify(e.code(), Some(status), msg)
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => ProviderError::new(
            ErrorKind::Unavailable,
            format!(
                "{op}: cannot reach the AWS endpoint ({}); check the endpoint URL and network",
                error_chain(&err)
            ),
        ),
        _ => ProviderError::other(format!("{op}: {}", error_chain(&err))),
    }
}

/// "op: Code: message". An answer without an error code (e.g. a bare 404 or 503 from a proxy
/// or an emulator) names its HTTP status instead, so the message still says what happened.
fn service_error_message(
    op: &str,
    code: Option<&str>,
    message: Option<&str>,
    status: u16,
) -> String {
    let message = message.unwrap_or("no message");
    match code {
        Some(code) => format!("{op}: {code}: {message}"),
        None => format!("{op}: HTTP {status} (no error code): {message}"),
    }
}

/// The status code of a raw HTTP response.
pub trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(src) = cur {
        s.push_str(": ");
        s.push_str(&src.to_string());
        cur = src.source();
    }
    s
}

// ---- Attribute, tag and naming helpers shared by the resource modules (added for S3, SQS, SNS,
// SSM, logs, KMS and Secrets Manager). ----

/// A string attribute; null, unknown and empty strings count as absent.
pub fn attr_str(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::to_string_lossy)
        .filter(|s| !s.is_empty())
}

/// A bool attribute (accepts "true"/"false" strings as the AWS APIs return them).
pub fn attr_bool(v: &Value, k: &str) -> Option<bool> {
    v.get(k).and_then(Value::as_bool)
}

/// An integer attribute (accepts numeric strings as the AWS APIs return them).
pub fn attr_i64(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}

/// The first object of a nested block (blocks arrive as a list of objects).
pub fn first_block<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    match v.get(k)? {
        Value::List(l) => l.first(),
        m @ Value::Map(_) => Some(m),
        _ => None,
    }
}

/// Every object of a nested block.
pub fn blocks<'a>(v: &'a Value, k: &str) -> Vec<&'a Value> {
    match v.get(k) {
        Some(Value::List(l)) => l.iter().collect(),
        Some(m @ Value::Map(_)) => vec![m],
        _ => vec![],
    }
}

/// A JSON document attribute in normal form (see `normalize_policy`), or None when unset.
pub fn attr_json(v: &Value, k: &str) -> Option<String> {
    attr_str(v, k).map(|s| normalize_policy(&s))
}

/// A JSON string from the cloud as a normalised Value (Null when empty or `{}`).
pub fn json_value(doc: Option<&str>) -> Value {
    match doc.map(str::trim) {
        None | Some("") | Some("{}") => Value::Null,
        Some(d) => Value::String(normalize_policy(d)),
    }
}

/// Splits the tags the cloud holds into Terraform's `tags` (what the configuration set) and
/// `tags_all` (everything, default tags included), with terrane's ownership tags hidden. A tag
/// equal to a provider default tag counts as the default's unless the prior state set it itself.
pub fn split_tags(
    cloud: BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
    prior: &Value,
) -> (Value, Value) {
    let mut all = cloud;
    strip_owner_tags(&mut all);
    let prior_tags = string_map(prior.get("tags"));
    let own: BTreeMap<String, String> = all
        .iter()
        .filter(|(k, v)| prior_tags.contains_key(*k) || default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (map_value(&own), map_value(&all))
}

/// Plan-time `tags_all`: the provider's default tags overlaid with the resource's own tags.
pub fn plan_tags_all(default_tags: &BTreeMap<String, String>, config: &mut Value) {
    let Some(m) = config.as_map_mut() else {
        return;
    };
    let tags_all = match m.get("tags") {
        Some(Value::Unknown) => Value::Unknown,
        Some(t) if !t.is_wholly_known() => Value::Unknown,
        t => {
            let mut all = default_tags.clone();
            all.extend(string_map(t));
            map_value(&all)
        }
    };
    m.insert("tags".into(), m.get("tags").cloned().unwrap_or(Value::Null));
    m.insert("tags_all".into(), tags_all);
}

/// Replaces a JSON string attribute by its normal form at plan time (unknowns left alone).
pub fn plan_json(config: &mut Value, k: &str) {
    if let Some(m) = config.as_map_mut() {
        if let Some(Value::String(s)) = m.get(k) {
            let n = if s.trim().is_empty() {
                Value::Null
            } else {
                Value::String(normalize_policy(s))
            };
            m.insert(k.into(), n);
        }
    }
}

/// Sets an attribute at plan time if the configuration left it null.
pub fn plan_default(config: &mut Value, k: &str, v: Value) {
    if let Some(m) = config.as_map_mut() {
        if m.get(k).is_none_or(Value::is_null) {
            m.insert(k.into(), v);
        }
    }
}

/// The AWS partition of a region (for ARNs built without an API call).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Terraform's unique suffix for `name_prefix`/`bucket_prefix`: a UTC timestamp plus a counter,
/// 26 characters, so generated names sort by creation time.
pub fn prefixed_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 100_000_000;
    format!(
        "{prefix}{:014}{:04}{:08}",
        d.as_secs(),
        d.subsec_millis(),
        n
    )
}

/// The length of the unique suffix `prefixed_name` appends.
const UNIQUE_SUFFIX_LEN: usize = 26;

/// The prefix of a name that `prefixed_name` generated, as Terraform derives `name_prefix` on
/// read: an imported object created from a prefix keeps that prefix, so the next plan does
/// not see a changed (force-new) prefix. None when the name has no such suffix.
pub fn name_prefix_from_name(name: &str) -> Option<String> {
    let cut = name.len().checked_sub(UNIQUE_SUFFIX_LEN)?;
    let (prefix, suffix) = (name.get(..cut)?, name.get(cut..)?);
    suffix
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| prefix.to_string())
}

/// The `name_prefix`/`bucket_prefix` to record for `name`: the prior state's, else (import)
/// the prefix of a generated name (before a FIFO `.fifo` suffix), else null.
pub fn prefix_state(prior: &Value, key: &str, name: &str) -> Value {
    match prior.get(key) {
        Some(p) if !p.is_null() => p.clone(),
        _ => name_prefix_from_name(name.strip_suffix(".fifo").unwrap_or(name))
            .map_or(Value::Null, Value::String),
    }
}

/// The error for a create whose name is taken by a resource terrane does not own.
pub fn already_exists(type_name: &str, name: &str) -> ProviderError {
    ProviderError::invalid(format!(
        "{type_name} {name:?} already exists and is not managed by this stack (it lacks the \
         {OWNER_ADDRESS_TAG} tag for this address); choose another name, or bring it under \
         terrane with `terrane state import`"
    ))
}

/// True if cloud tags show the resource was made by this stack for this address.
pub fn owned_by(tags: &BTreeMap<String, String>, stack: &str, address: &str) -> bool {
    tags.get(OWNER_ADDRESS_TAG).map(String::as_str) == Some(address)
        && tags
            .get(OWNER_STACK_TAG)
            .is_none_or(|s| s.as_str() == stack)
}

/// The keys to remove and the pairs to set to turn tag map `from` into `to`.
pub fn tag_delta(
    from: &BTreeMap<String, String>,
    to: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let removed = from
        .keys()
        .filter(|k| !to.contains_key(*k))
        .cloned()
        .collect();
    let set = to
        .iter()
        .filter(|(k, v)| from.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (removed, set)
}

/// Normal form of a JSON document that is not an IAM policy (SNS filter and delivery policies,
/// SQS redrive policies): keys sorted, whitespace removed, nothing else changed, because in
/// these documents a one-element list and a bare value mean different things.
pub fn canonical_json(doc: &str) -> String {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(o) => {
                let mut items: Vec<(String, serde_json::Value)> = o.into_iter().collect();
                items.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(items.into_iter().map(|(k, v)| (k, sort(v))).collect())
            }
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    match serde_json::from_str::<serde_json::Value>(doc) {
        Ok(v) => serde_json::to_string(&sort(v)).unwrap_or_else(|_| doc.into()),
        Err(_) => doc.to_string(),
    }
}

/// A non-policy JSON document from the cloud as a Value in `canonical_json` form (Null when
/// empty or `{}`).
pub fn json_doc_value(doc: Option<&str>) -> Value {
    match doc.map(str::trim) {
        None | Some("") | Some("{}") => Value::Null,
        Some(d) => Value::String(canonical_json(d)),
    }
}

/// `plan_json` for non-policy JSON documents.
pub fn plan_json_doc(config: &mut Value, k: &str) {
    if let Some(m) = config.as_map_mut() {
        if let Some(Value::String(s)) = m.get(k) {
            let n = if s.trim().is_empty() {
                Value::Null
            } else {
                Value::String(canonical_json(s))
            };
            m.insert(k.into(), n);
        }
    }
}

// ---- Helpers added for the IAM, DynamoDB and EC2/VPC modules (aws-b). ----

/// A required string attribute; a clear error names the attribute when it is missing.
pub fn req_str(v: &Value, key: &str, type_name: &str) -> Result<String, ProviderError> {
    attr_str(v, key)
        .ok_or_else(|| ProviderError::invalid(format!("{type_name}: {key} must be set")))
}

/// A bool attribute with a default for null/absent.
pub fn bool_or(v: &Value, key: &str, default: bool) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(default)
}

/// A whole-number attribute.
pub fn opt_i64(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

/// A list or set of strings (null = empty).
pub fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::List(l)) => l.iter().filter_map(Value::to_string_lossy).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The objects of a nested block (a list of objects; a lone object counts as one).
pub fn block_list<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    match v.get(key) {
        Some(Value::List(l)) => l.iter().filter(|x| x.as_map().is_some()).collect(),
        Some(m @ Value::Map(_)) => vec![m],
        _ => Vec::new(),
    }
}

/// Whether `v` sets the blocks `key` at all: `key = []` (attribute syntax) manages them and
/// wants none, while leaving them out leaves them to other resources.
pub fn sets_blocks(v: &Value, key: &str) -> bool {
    matches!(v.get(key), Some(Value::List(_) | Value::Map(_)))
}

/// A list of strings as a Value (order kept).
pub fn list_value<S: AsRef<str>>(items: &[S]) -> Value {
    Value::List(
        items
            .iter()
            .map(|s| Value::String(s.as_ref().to_string()))
            .collect(),
    )
}

/// A set of strings as a Value: sorted and de-duplicated, as the config loader keeps sets.
pub fn set_value<S: AsRef<str>>(items: &[S]) -> Value {
    let mut v: Vec<String> = items.iter().map(|s| s.as_ref().to_string()).collect();
    v.sort();
    v.dedup();
    Value::List(v.into_iter().map(Value::String).collect())
}

/// Splits the tags read from the cloud into Terraform's `tags` (what the user wrote) and
/// `tags_all` (everything, default tags included); terrane's ownership tags are hidden from both.
/// A default tag the user also set with the same value stays in `tags`, as the user wrote it,
/// which we can only know from the prior state.
pub fn read_tags(
    mut cloud: BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
    prior: &Value,
) -> (Value, Value) {
    strip_owner_tags(&mut cloud);
    let prior_user = string_map(prior.get("tags"));
    let user: BTreeMap<String, String> = cloud
        .iter()
        .filter(|(k, v)| default_tags.get(*k) != Some(*v) || prior_user.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (map_value(&user), map_value(&cloud))
}

/// A unique name from a prefix, as Terraform's `name_prefix` makes them:
/// prefix + UTC timestamp (`YYYYMMDDHHMMSS`) + 4 fraction digits + an 8-hex-digit counter.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(1);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{prefix}{y:04}{m:02}{d:02}{:02}{:02}{:02}{:04}{:08x}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_micros() / 100,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// A policy document as IAM returns it (maybe URL-encoded), normalised for comparison.
pub fn policy_from_cloud(doc: &str) -> String {
    let trimmed = doc.trim_start();
    let text = if trimmed.starts_with('{') {
        doc.to_string()
    } else {
        percent_decode(doc)
    };
    normalize_policy(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_give_back_their_prefix() {
        let name = prefixed_name("logs-");
        assert_eq!(name.len(), "logs-".len() + UNIQUE_SUFFIX_LEN);
        assert_eq!(name_prefix_from_name(&name).as_deref(), Some("logs-"));
        assert_eq!(name_prefix_from_name("my-bucket"), None);
        assert_eq!(name_prefix_from_name("x-2024010203040500001234567a"), None);
        let fifo = format!("{}.fifo", prefixed_name("jobs-"));
        assert_eq!(
            prefix_state(&Value::Null, "name_prefix", &fifo),
            Value::string("jobs-")
        );
        let prior = Value::map([("name_prefix", Value::string("kept-"))]);
        assert_eq!(
            prefix_state(&prior, "name_prefix", "other"),
            Value::string("kept-")
        );
    }

    #[test]
    fn errors_without_a_code_name_their_http_status() {
        assert_eq!(
            service_error_message("s3:HeadBucket", None, None, 404),
            "s3:HeadBucket: HTTP 404 (no error code): no message"
        );
        assert_eq!(
            service_error_message(
                "sqs:GetQueueUrl",
                Some("QueueDoesNotExist"),
                Some("gone"),
                400
            ),
            "sqs:GetQueueUrl: QueueDoesNotExist: gone"
        );
    }

    #[test]
    fn policy_normalisation_ignores_format_and_order() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
        let b = r#"{
          "Statement": [ { "Resource": ["*"], "Action": "s3:GetObject", "Effect": "Allow" } ],
          "Version": "2012-10-17"
        }"#;
        assert_eq!(normalize_policy(a), normalize_policy(b));
    }

    #[test]
    fn non_policy_json_keeps_one_element_lists() {
        let a = r#"{ "event": ["created"], "a": 1 }"#;
        assert_eq!(canonical_json(a), r#"{"a":1,"event":["created"]}"#);
        assert_ne!(canonical_json(a), normalize_policy(a));
    }

    #[test]
    fn cloud_tags_split_into_own_and_default() {
        let defaults: BTreeMap<String, String> = [("Team".to_string(), "p".to_string())].into();
        let cloud: BTreeMap<String, String> = [
            ("Team", "p"),
            ("App", "x"),
            (OWNER_STACK_TAG, "s"),
            (OWNER_ADDRESS_TAG, "a.b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (own, all) = split_tags(cloud, &defaults, &Value::Null);
        assert_eq!(own, Value::map([("App", Value::string("x"))]));
        assert_eq!(
            all,
            Value::map([("App", Value::string("x")), ("Team", Value::string("p"))])
        );
        assert!(owned_by(
            &[(OWNER_ADDRESS_TAG.to_string(), "a.b".to_string())].into(),
            "s",
            "a.b"
        ));
    }

    #[test]
    fn s3_path_style_follows_endpoint_overrides_unless_set() {
        use crate::clients::AwsSettings;
        let with_ep = AwsSettings::from_config(&Value::map([(
            "endpoints",
            Value::map([("s3", Value::string("http://127.0.0.1:5000"))]),
        )]))
        .unwrap();
        assert!(with_ep.s3_path_style());
        let explicit = AwsSettings::from_config(&Value::map([
            (
                "endpoints",
                Value::map([("s3", Value::string("http://127.0.0.1:5000"))]),
            ),
            ("s3_use_path_style", Value::Bool(false)),
        ]))
        .unwrap();
        assert!(!explicit.s3_path_style());
    }
}
