//! The small text files a user writes by hand (profiles, packages,
//! movement files, policies): read whole, as UTF-8, or refused at the line
//! of the first byte that is not — exit 65 like any other bad input, not
//! 66 as if the file were missing.

use std::path::Path;

use crate::error::{Error, ImportError};

/// The most a hand-written file may hold: far above any profile, package
/// or movement file, far below what would exhaust memory.
const MAX_BYTES: u64 = 16 << 20;

pub fn read(path: &Path) -> Result<String, Error> {
    let no_input = |source| Error::NoInput {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(no_input)?.len();
    if size > MAX_BYTES {
        return Err(ImportError::Profile {
            file: path.display().to_string(),
            line: 1,
            message: format!(
                "the file is {} MB; a profile, package, movement or policy file is a few kilobytes",
                size >> 20
            ),
        }
        .into());
    }
    let bytes = std::fs::read(path).map_err(no_input)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text
            .strip_prefix('\u{FEFF}')
            .map(String::from)
            .unwrap_or(text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(ImportError::Profile {
                file: path.display().to_string(),
                line,
                message: format!(
                    "byte 0x{:02X} is not UTF-8: save the file as UTF-8 (TOML files are)",
                    bytes[at]
                ),
            }
            .into())
        }
    }
}
