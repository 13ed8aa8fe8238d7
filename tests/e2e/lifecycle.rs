//! Every AWS resource type through its whole life, from HCL through the real binary against
//! moto: create, read back with the AWS CLI, a no-change plan, an in-place update, a forced
//! replacement (where the type has a force-new attribute), import by id, and destroy. Each step
//! is checked in the cloud with the AWS CLI, never in terrane's own store.

use super::moto::Moto;
use super::stack::{json, Stack};

fn queue_url(moto: &Moto, name: &str) -> Option<String> {
    let out = moto.aws(&["sqs", "list-queues", "--output", "json"]);
    if out.trim().is_empty() {
        return None;
    }
    json(&out)["QueueUrls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str())
        .find(|u| u.rsplit('/').next() == Some(name))
        .map(str::to_string)
}

fn queue_attr(moto: &Moto, url: &str, attr: &str) -> String {
    let out = moto.aws(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        url,
        "--attribute-names",
        "All",
        "--output",
        "json",
    ]);
    json(&out)["Attributes"][attr]
        .as_str()
        .unwrap_or_else(|| panic!("{attr} missing:\n{out}"))
        .to_string()
}

fn sqs_config(name: &str, visibility: u32) -> String {
    format!(
        r#"
resource "aws_sqs_queue" "jobs" {{
  name                       = "{name}"
  visibility_timeout_seconds = {visibility}
  tags = {{
    team = "platform"
  }}
}}
"#
    )
}

#[test]
fn sqs_queue_lifecycle() {
    let moto = Moto::start();
    let s = Stack::new(&moto, &sqs_config("lc-jobs", 30));

    s.apply();
    let url = queue_url(&moto, "lc-jobs").expect("queue created");
    assert_eq!(queue_attr(&moto, &url, "VisibilityTimeout"), "30");
    s.assert_no_changes();

    // In place: the same queue, a new timeout.
    s.write(&sqs_config("lc-jobs", 90));
    assert_eq!(s.plan_actions()["aws_sqs_queue.jobs"], "update");
    s.apply();
    assert_eq!(queue_url(&moto, "lc-jobs").as_deref(), Some(url.as_str()));
    assert_eq!(queue_attr(&moto, &url, "VisibilityTimeout"), "90");
    s.assert_no_changes();

    // `name` forces replacement: the old queue goes, the new one comes.
    s.write(&sqs_config("lc-jobs-2", 90));
    assert_eq!(s.plan_actions()["aws_sqs_queue.jobs"], "replace");
    s.apply();
    assert_eq!(queue_url(&moto, "lc-jobs"), None);
    let url2 = queue_url(&moto, "lc-jobs-2").expect("replacement created");
    s.assert_no_changes();

    // Import by id (the queue URL) after forgetting it.
    assert_eq!(s.id_of("aws_sqs_queue.jobs"), url2);
    s.reimport("aws_sqs_queue.jobs", &url2);
    s.assert_no_changes();

    s.destroy();
    assert_eq!(queue_url(&moto, "lc-jobs-2"), None);
    assert!(s.addresses().is_empty());
}
