//! Tags of many resources in one call. The per-service tag APIs (GetBucketTagging,
//! ListQueueTags, ListTagsForResource, ...) cost one call per resource; the Resource Groups
//! Tagging API returns the tags of every resource of a type, 100 per page. Batched refreshes and
//! `list()` use it so that reading N resources does not cost N tag calls, and creates of unnamed
//! resources use its tag filter to find what a crashed run already made.
//!
//! The API only returns resources that carry (or once carried) tags. Every resource terrane
//! makes carries its ownership tags, so a missing entry means "no tags".

use crate::clients::Clients;
use crate::util::sdk_error;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use std::collections::{BTreeMap, HashMap};
use terrane_provider::{ProviderResult, OWNER_ADDRESS_TAG, OWNER_STACK_TAG};

/// Tags by ARN for every resource of a type (`s3:bucket`, `sqs:queue`, `kms:key`, ...).
pub async fn tags_by_arn(
    c: &Clients,
    resource_type: &str,
) -> ProviderResult<HashMap<String, BTreeMap<String, String>>> {
    get_resources(c, resource_type, None).await
}

/// ARNs of resources of a type that carry this stack's ownership tags for `address`.
pub async fn find_owned(
    c: &Clients,
    resource_type: &str,
    stack: &str,
    address: &str,
) -> ProviderResult<Vec<String>> {
    let found = get_resources(c, resource_type, Some(address)).await?;
    Ok(found
        .into_iter()
        .filter(|(_, tags)| {
            tags.get(OWNER_STACK_TAG)
                .is_none_or(|s| s.as_str() == stack)
        })
        .map(|(arn, _)| arn)
        .collect())
}

async fn get_resources(
    c: &Clients,
    resource_type: &str,
    address: Option<&str>,
) -> ProviderResult<HashMap<String, BTreeMap<String, String>>> {
    let mut out = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = c
            .tagging
            .get_resources()
            .resource_type_filters(resource_type)
            .resources_per_page(100)
            .set_pagination_token(token.clone());
        if let Some(a) = address {
            req = req.tag_filters(
                TagFilter::builder()
                    .key(OWNER_ADDRESS_TAG)
                    .values(a)
                    .build(),
            );
        }
        let resp = req
            .send()
            .await
            .map_err(|e| sdk_error("tagging:GetResources", e))?;
        for m in resp.resource_tag_mapping_list() {
            let Some(arn) = m.resource_arn() else {
                continue;
            };
            let tags = m
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            out.insert(arn.to_string(), tags);
        }
        token = resp
            .pagination_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}
