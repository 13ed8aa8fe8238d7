//! The embedded store (filled in by the engine issue).
