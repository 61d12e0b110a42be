//! Integration tests: one binary (`autotests = false`), one module per
//! area, each test in its own temp dir driving the real `stockpile`.

mod ammunition;
mod brief;
mod bulk;
mod cli;
mod closure;
mod crash;
mod dialects;
mod docs;
mod encodings;
mod fuzz;
mod hostile;
mod import;
mod lines;
mod morning;
mod packages;
mod pg;
mod policy;
mod postgres;
mod readiness;
mod realfiles;
mod snapshots;
mod trust;
mod util;
mod weekly;
mod workbooks;
