//! Integration tests: one binary (`autotests = false`), one module per
//! command, each test in its own temp dir driving the real `stockpile`.

mod util;
