//! Integration tests: one binary (`autotests = false`), one module per
//! area, each test in its own temp dir driving the real `stockpile`.

mod import;
mod readiness;
mod snapshots;
mod util;
