//! stockpile: an inventory database for prepositioned heavy-weapons
//! stockpiles. Depot CSV exports flow one way: decoded text → records →
//! validated holdings → versioned snapshots → readiness figures → output.

pub mod attention;
pub mod caption;
pub mod changes;
pub mod cli;
pub mod cmd;
pub mod content;
pub mod db;
pub mod error;
pub mod html;
pub mod import;
pub mod known;
pub mod manual;
pub mod map;
pub mod model;
pub mod output;
pub mod package;
pub mod policy;
pub mod provenance;
pub mod readiness;
pub mod state;
pub mod suspension;
pub mod textfile;
pub mod trend;
pub mod xlsx;
