//! Provider settings (Terraform's `provider "aws"` block plus the standard AWS environment) and
//! the SDK clients built from them, with retries, timeouts and an API call counter.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use terrane_provider::{CallStats, ProviderError, ProviderResult, Value};

/// The evaluated `provider "aws"` block.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Per-service endpoint overrides (`endpoints { s3 = "..." }`).
    pub endpoints: BTreeMap<String, String>,
    /// `s3_use_path_style` as written; None = path style exactly when an endpoint is
    /// overridden (emulators such as moto and LocalStack need it), see `s3_path_style`.
    pub s3_use_path_style: Option<bool>,
    pub default_tags: BTreeMap<String, String>,
    pub skip_credentials_validation: bool,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub max_retries: Option<u32>,
}

impl AwsSettings {
    /// Reads the settings from a `provider "aws"` block's value (Null when there is none).
    pub fn from_config(v: &Value) -> ProviderResult<Self> {
        let mut s = AwsSettings::default();
        let Some(m) = v.as_map() else {
            return Ok(s);
        };
        let str_of = |k: &str| m.get(k).and_then(Value::to_string_lossy);
        s.region = str_of("region");
        s.profile = str_of("profile");
        s.access_key = str_of("access_key");
        s.secret_key = str_of("secret_key");
        s.s3_use_path_style = m
            .get("s3_use_path_style")
            .or_else(|| m.get("s3_force_path_style"))
            .and_then(Value::as_bool);
        s.skip_credentials_validation = m
            .get("skip_credentials_validation")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        s.max_retries = m
            .get("max_retries")
            .and_then(Value::as_i64)
            .map(|n| n as u32);
        // Blocks arrive as a list of objects; accept a bare object too.
        let first_block = |k: &str| -> Option<&terrane_provider::Map> {
            match m.get(k)? {
                Value::List(l) => l.first().and_then(Value::as_map),
                Value::Map(m) => Some(m),
                _ => None,
            }
        };
        if let Some(eps) = m.get("endpoints") {
            let blocks: Vec<&terrane_provider::Map> = match eps {
                Value::List(l) => l.iter().filter_map(Value::as_map).collect(),
                Value::Map(m) => vec![m],
                _ => vec![],
            };
            for b in blocks {
                for (k, v) in b {
                    if let Some(url) = v.to_string_lossy() {
                        s.endpoints.insert(k.clone(), url);
                    }
                }
            }
        }
        if let Some(dt) = first_block("default_tags") {
            s.default_tags = crate::util::string_map(dt.get("tags"));
        }
        Ok(s)
    }

    /// Whether S3 uses path-style addressing: as configured, else whenever the S3 endpoint is
    /// overridden (block or `AWS_ENDPOINT_URL[_S3]`), since emulators do not serve
    /// `bucket.host` names.
    pub fn s3_path_style(&self) -> bool {
        self.s3_use_path_style.unwrap_or_else(|| {
            self.endpoint("s3").is_some()
                || ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
                    .iter()
                    .any(|v| std::env::var(v).is_ok_and(|u| !u.trim().is_empty()))
        })
    }

    /// The endpoint for a service: the block's override, else none (the SDK then uses
    /// `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` or the real AWS endpoint).
    pub fn endpoint(&self, service: &str) -> Option<&str> {
        let aliases: Vec<&str> = match service {
            "cloudwatchlogs" => vec!["logs", "cloudwatchlogs"],
            other => vec![other],
        };
        aliases
            .iter()
            .find_map(|a| self.endpoints.get(*a))
            .map(String::as_str)
    }
}

/// Counts every HTTP attempt (retries included) and every failed operation.
#[derive(Debug, Default)]
struct CallCounter {
    calls: AtomicU64,
    errors: AtomicU64,
}

#[derive(Debug, Clone)]
struct CountingInterceptor(Arc<CallCounter>);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "terrane-call-counter"
    }

    fn read_before_attempt(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn read_after_execution(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if ctx.output_or_error().is_some_and(|r| r.is_err()) {
            self.0.errors.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Debug builds only: `TERRANE_FAULT_AFTER_SEND=<Operation>` (e.g. `CreateVpc`) makes the process
/// hang right after that operation's response arrives, before the provider sees it, after
/// printing `terrane: fault point after <Operation>` to stderr. Crash tests wait for the line and
/// kill the process there: the cloud has done the work, the store has not heard of it.
#[cfg(debug_assertions)]
#[derive(Debug, Clone)]
struct FaultInterceptor(Option<Arc<str>>);

#[cfg(debug_assertions)]
impl FaultInterceptor {
    fn from_env() -> Self {
        FaultInterceptor(
            std::env::var("TERRANE_FAULT_AFTER_SEND")
                .ok()
                .filter(|s| !s.is_empty())
                .map(Arc::from),
        )
    }
}

#[cfg(debug_assertions)]
impl Intercept for FaultInterceptor {
    fn name(&self) -> &'static str {
        "terrane-fault-after-send"
    }

    fn read_after_deserialization(
        &self,
        _ctx: &aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_smithy_runtime_api::client::orchestrator::Metadata;
        let Some(op) = &self.0 else { return Ok(()) };
        if cfg.load::<Metadata>().is_some_and(|m| m.name() == &**op) {
            use std::io::Write;
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "terrane: fault point after {op}");
            let _ = err.flush();
            drop(err);
            // Hang this call (and so the apply) until the test kills the process.
            loop {
                std::thread::park();
            }
        }
        Ok(())
    }
}

/// The SDK clients of one configured provider.
pub struct Clients {
    pub settings: AwsSettings,
    pub region: String,
    sdk: aws_config::SdkConfig,
    counter: Arc<CallCounter>,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub iam: aws_sdk_iam::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub kms: aws_sdk_kms::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub sts: aws_sdk_sts::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
}

macro_rules! service_client {
    ($krate:ident, $sdk:expr, $settings:expr, $name:literal, $icpt:expr) => {{
        let mut b = $krate::config::Builder::from($sdk).interceptor($icpt.clone());
        #[cfg(debug_assertions)]
        {
            b = b.interceptor(FaultInterceptor::from_env());
        }
        if let Some(ep) = $settings.endpoint($name) {
            b = b.endpoint_url(ep);
        }
        $krate::Client::from_conf(b.build())
    }};
}

impl Clients {
    /// Builds the clients. No network call is made here.
    pub async fn new(settings: AwsSettings) -> ProviderResult<Self> {
        use aws_config::retry::RetryConfig;
        use aws_config::timeout::TimeoutConfig;
        use aws_config::{BehaviorVersion, Region};

        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(settings.max_retries.unwrap_or(4).max(1))
                    .with_initial_backoff(Duration::from_millis(200)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .operation_timeout(Duration::from_secs(300))
                    .build(),
            );
        if let Some(r) = &settings.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(p) = &settings.profile {
            loader = loader.profile_name(p);
        }
        if let (Some(a), Some(s)) = (&settings.access_key, &settings.secret_key) {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                a.clone(),
                s.clone(),
                None,
                None,
                "terrane-provider-block",
            ));
        }
        let sdk = loader.load().await;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| {
                ProviderError::invalid(
                    "no AWS region configured: set `region` in the provider \"aws\" block or the AWS_REGION environment variable",
                )
            })?;
        let counter = Arc::new(CallCounter::default());
        let icpt = CountingInterceptor(counter.clone());
        let s3 = {
            let mut b = aws_sdk_s3::config::Builder::from(&sdk)
                .interceptor(icpt.clone())
                .force_path_style(settings.s3_path_style())
                .request_checksum_calculation(
                    aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                )
                .response_checksum_validation(
                    aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
                );
            #[cfg(debug_assertions)]
            {
                b = b.interceptor(FaultInterceptor::from_env());
            }
            if let Some(ep) = settings.endpoint("s3") {
                b = b.endpoint_url(ep);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        };
        Ok(Clients {
            s3,
            sqs: service_client!(aws_sdk_sqs, &sdk, settings, "sqs", icpt),
            sns: service_client!(aws_sdk_sns, &sdk, settings, "sns", icpt),
            iam: service_client!(aws_sdk_iam, &sdk, settings, "iam", icpt),
            dynamodb: service_client!(aws_sdk_dynamodb, &sdk, settings, "dynamodb", icpt),
            ec2: service_client!(aws_sdk_ec2, &sdk, settings, "ec2", icpt),
            ssm: service_client!(aws_sdk_ssm, &sdk, settings, "ssm", icpt),
            logs: service_client!(
                aws_sdk_cloudwatchlogs,
                &sdk,
                settings,
                "cloudwatchlogs",
                icpt
            ),
            kms: service_client!(aws_sdk_kms, &sdk, settings, "kms", icpt),
            secretsmanager: service_client!(
                aws_sdk_secretsmanager,
                &sdk,
                settings,
                "secretsmanager",
                icpt
            ),
            sts: service_client!(aws_sdk_sts, &sdk, settings, "sts", icpt),
            tagging: service_client!(
                aws_sdk_resourcegroupstagging,
                &sdk,
                settings,
                "resourcegroupstaggingapi",
                icpt
            ),
            region,
            sdk,
            counter,
            settings,
        })
    }

    /// API calls made so far.
    pub fn stats(&self) -> CallStats {
        CallStats {
            calls: self.counter.calls.load(Ordering::Relaxed),
            errors: self.counter.errors.load(Ordering::Relaxed),
        }
    }

    /// The shared SDK configuration.
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.sdk
    }
}
