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
