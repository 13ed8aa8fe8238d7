//! End-to-end tests: the real binary against real inputs (and, for cloud tests, a real AWS API).
//! One test binary for the whole repository: each binary links everything again.

mod aws_a;
mod aws_b;
mod ci_examples;
mod cli;
mod crash_adopt;
mod doc_examples;
mod drift;
mod drift_aws;
mod engine;
mod git;
mod import_moved;
mod lifecycle;
mod lifecycle_a;
mod lifecycle_b;
mod moto;
mod replace_order;
mod serve;
mod serve_aws;
mod stack;
