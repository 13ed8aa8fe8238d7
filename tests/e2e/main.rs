//! End-to-end tests: the real binary against real inputs (and, for cloud tests, a real AWS API).
//! One test binary for the whole repository: each binary links everything again.

mod aws_a;
mod aws_b;
mod ci_examples;
mod cli;
mod doc_examples;
mod drift;
mod drift_aws;
mod engine;
mod git;
mod lifecycle;
mod moto;
mod serve;
mod serve_aws;
mod stack;
