//! End-to-end tests: the real binary against real inputs (and, for cloud tests, a real AWS API).
