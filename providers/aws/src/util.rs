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
            let msg = format!(
                "{op}: {}: {}",
                e.code().unwrap_or("error"),
                e.message().unwrap_or("no message")
            );
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

// ---- Helpers added for the IAM, DynamoDB and EC2/VPC modules (aws-b). ----

/// A string attribute, treating null and `""` as absent (numbers and bools are stringified).
pub fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::to_string_lossy)
        .filter(|s| !s.is_empty())
}

/// A required string attribute; a clear error names the attribute when it is missing.
pub fn req_str(v: &Value, key: &str, type_name: &str) -> Result<String, ProviderError> {
    opt_str(v, key).ok_or_else(|| ProviderError::invalid(format!("{type_name}: {key} must be set")))
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

/// Plan-time `tags_all`: the provider's default tags overlaid with the resource's tags.
pub fn plan_tags_all(default_tags: &BTreeMap<String, String>, config: &mut Value) {
    let Some(m) = config.as_map_mut() else {
        return;
    };
    if m.get("tags").is_some_and(|t| !t.is_wholly_known()) {
        m.insert("tags_all".into(), Value::Unknown);
        return;
    }
    let mut all = default_tags.clone();
    all.extend(string_map(m.get("tags")));
    m.insert("tags_all".into(), map_value(&all));
}

/// Sets `key` to `value` in an object value when the config left it null or absent.
pub fn fill_default(config: &mut Value, key: &str, value: Value) {
    if let Some(m) = config.as_map_mut() {
        if m.get(key).is_none_or(Value::is_null) {
            m.insert(key.to_string(), value);
        }
    }
}

/// True when the owner tag on a found resource says it is ours (so create may adopt it).
pub fn owned_by(tags: &BTreeMap<String, String>, stack: &str, address: &str) -> bool {
    tags.get(OWNER_ADDRESS_TAG).map(String::as_str) == Some(address)
        && tags.get(OWNER_STACK_TAG).map(String::as_str) == Some(stack)
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
    fn policy_normalisation_ignores_format_and_order() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
        let b = r#"{
          "Statement": [ { "Resource": ["*"], "Action": "s3:GetObject", "Effect": "Allow" } ],
          "Version": "2012-10-17"
        }"#;
        assert_eq!(normalize_policy(a), normalize_policy(b));
    }
}
