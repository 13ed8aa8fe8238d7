//! `import` and `moved` blocks through the binary against moto: the plan shows them (text and
//! JSON), apply records them, and the next plan is empty. The bucket is made with the AWS CLI.

use super::moto::Moto;
use super::stack::{json, Stack};

fn config(name: &str, extra: &str) -> String {
    format!(
        r#"
resource "aws_s3_bucket" "{name}" {{
  bucket        = "im-bucket"
  force_destroy = true
}}
{extra}"#
    )
}

fn change<'a>(plan: &'a serde_json::Value, address: &str) -> &'a serde_json::Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in the plan:\n{plan:#}"))
}

#[test]
fn import_and_moved_blocks_show_in_plans_and_apply() {
    let moto = Moto::start();
    moto.aws(&["s3api", "create-bucket", "--bucket", "im-bucket"]);
    let import = "import {\n  to = aws_s3_bucket.b\n  id = \"im-bucket\"\n}\n";
    let s = Stack::new(&moto, &config("b", import));

    let plan = s.plan_json();
    let c = change(&plan, "aws_s3_bucket.b");
    assert_eq!(c["importing"]["id"], "im-bucket", "{c:#}");
    assert_eq!(plan["summary"]["import"], 1);
    assert_eq!(plan["summary"]["create"], 0);
    // force_destroy is not in the cloud: the import is read with the configuration as prior,
    // so it is not shown as a change.
    let paths: Vec<&str> = c["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert!(!paths.contains(&"force_destroy"), "{c:#}");
    let text = s.ok(&["plan", "."]).out;
    assert!(text.contains("aws_s3_bucket.b"), "{text}");
    assert!(text.contains("(imported from \"im-bucket\")"), "{text}");
    assert!(text.contains("1 to import, 0 to add"), "{text}");

    s.apply();
    assert_eq!(s.addresses(), vec!["aws_s3_bucket.b"]);
    assert_eq!(s.id_of("aws_s3_bucket.b"), "im-bucket");
    s.assert_no_changes();

    // Rename the address with a moved block: shown, recorded, the bucket untouched.
    let moved = "moved {\n  from = aws_s3_bucket.b\n  to   = aws_s3_bucket.renamed\n}\n";
    s.write(&config("renamed", moved));
    let plan = s.plan_json();
    let c = change(&plan, "aws_s3_bucket.renamed");
    assert_eq!(c["previous_address"], "aws_s3_bucket.b", "{c:#}");
    assert_eq!(c["action"], "no-op", "{c:#}");
    assert_eq!(plan["summary"]["move"], 1);
    let text = s.ok(&["plan", "."]).out;
    assert!(
        text.contains("# aws_s3_bucket.b has moved to aws_s3_bucket.renamed"),
        "{text}"
    );
    s.apply();
    assert_eq!(s.addresses(), vec!["aws_s3_bucket.renamed"]);
    let buckets = json(&moto.aws(&["s3api", "list-buckets", "--output", "json"]));
    assert_eq!(buckets["Buckets"].as_array().unwrap().len(), 1, "{buckets}");
    moto.aws(&["s3api", "head-bucket", "--bucket", "im-bucket"]);
    s.assert_no_changes();
    println!("checked: import shown (text+JSON) without a force_destroy diff, recorded, no changes; moved shown, recorded, bucket untouched, no changes");
}
