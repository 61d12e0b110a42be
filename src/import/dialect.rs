//! The one place that decides how an export's bytes are read: its encoding
//! and its delimiter. One pass over the raw bytes hashes the file for the
//! ledger, checks whether it is valid UTF-8 and keeps a sample; the delimiter
//! is then sniffed from the decoded sample.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use encoding_rs_io::DecodeReaderBytesBuilder;
use sha2::{Digest, Sha256};

use super::readings::{self, Evidence, Judgement, Reading};

const SAMPLE_BYTES: usize = 64 * 1024;
const DETECTOR_BYTES: usize = 4 * 1024 * 1024;
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

#[derive(Debug, Clone)]
pub struct Dialect {
    pub encoding: &'static Encoding,
    pub delimiter: u8,
    /// Whether each choice was detected (true) or given as an option.
    pub encoding_detected: bool,
    pub delimiter_detected: bool,
    /// Lines before the header: Excel's `sep=;` line, or title lines
    /// (`--header-row`).
    pub skip_lines: u64,
}

impl Dialect {
    /// The line of the file the header stands on.
    pub fn header_line(&self) -> u64 {
        self.skip_lines + 1
    }

    pub fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            b',' => "comma",
            b';' => "semicolon",
            b'\t' => "tab",
            b'|' => "pipe",
            _ => "custom",
        }
    }
}

/// What the first pass learned about a file.
#[derive(Debug, Clone)]
pub struct Probe {
    pub sha256: String,
    pub size: u64,
    pub dialect: Dialect,
    /// A legacy file whose text reads as sense in several encodings: the
    /// import takes the one its depot's last import was read in, or asks.
    pub ambiguity: Option<Ambiguity>,
}

/// The plausible readings of an ambiguous file, likeliest first.
#[derive(Debug, Clone)]
pub struct Ambiguity {
    pub line: u64,
    index: usize,
    pub readings: Vec<Reading>,
}

impl Ambiguity {
    /// The refusal: how the first line where the readings differ reads in
    /// each, and how to say which is right.
    pub fn message(&self) -> String {
        let mut m = String::from(
            "the file is not UTF-8, and its text reads as sense in more than one encoding:",
        );
        m.push_str(&shown(&self.readings, self.index));
        m.push_str(
            "\nonly a person can tell which is right: give it with --encoding NAME (the name on its line) or in the depot's profile; the depot's next imports are then read the same way",
        );
        m
    }

    pub fn encodings(&self) -> impl Iterator<Item = &'static Encoding> + '_ {
        self.readings
            .iter()
            .flat_map(|r| r.encodings.iter().copied())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DialectError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The line of the file where the problem is, and what it is.
    #[error("{1}")]
    Invalid(u64, String),
}

/// SHA-256 and size of a file's bytes (a workbook's, for the ledger).
pub fn digest(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

impl DialectError {
    /// The error as a command reports it: a file that cannot be read is
    /// missing input (66), one that cannot be decoded is invalid data (65)
    /// at its line.
    pub fn into_error(self, path: &Path, file: &str) -> crate::error::Error {
        match self {
            DialectError::Io(source) => crate::error::Error::NoInput {
                path: path.to_path_buf(),
                source,
            },
            DialectError::Invalid(line, message) => crate::error::ImportError::Encoding {
                file: file.to_string(),
                line,
                message,
            }
            .into(),
        }
    }
}

/// Reads the file once: SHA-256 of its bytes, its encoding, its delimiter.
pub fn probe(
    path: &Path,
    delimiter: Option<u8>,
    encoding: Option<&'static Encoding>,
    header_row: Option<u64>,
) -> Result<Probe, DialectError> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    let mut buf = vec![0u8; 256 * 1024];
    let mut utf8 = Utf8Scan::default();
    let mut size = 0u64;
    // Line (1-based) of the first NUL byte and of the first byte that is not
    // UTF-8, so that an encoding error names its place like any other.
    let mut nul_line: Option<u64> = None;
    let mut bad_utf8_line: Option<u64> = None;
    let mut lines_before = 0u64;
    // Firefox's detector, for text that turns out not to be UTF-8; it is fed
    // the first 4 MiB, ample for the few hundred non-ASCII bytes it needs.
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let mut fed = 0usize;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        if fed < DETECTOR_BYTES {
            let take = (DETECTOR_BYTES - fed).min(n);
            detector.feed(&chunk[..take], false);
            fed += take;
        }
        if sample.len() < SAMPLE_BYTES {
            let take = (SAMPLE_BYTES - sample.len()).min(n);
            sample.extend_from_slice(&chunk[..take]);
        }
        let line_at = |i: usize| lines_before + memchr_count(&chunk[..i]) + 1;
        if nul_line.is_none() {
            nul_line = chunk.iter().position(|&b| b == 0).map(line_at);
        }
        let had_error = utf8.first_error.is_some();
        utf8.feed(chunk);
        if let (false, Some(offset)) = (had_error, utf8.first_error) {
            bad_utf8_line = Some(line_at(offset.saturating_sub(size).min(n as u64) as usize));
        }
        lines_before += memchr_count(chunk);
        size += n as u64;
    }
    let whole_file_sampled = size as usize == sample.len();
    detector.feed(&[], true);
    let (bom_encoding, _) = Encoding::for_bom(&sample).unzip();
    let encoding_detected = encoding.is_none();
    let mut ambiguity = None;
    let detected = match bom_encoding {
        Some(enc) => enc,
        None if utf8.valid() => UTF_8,
        // An encoding was given: nothing to detect.
        None if !encoding_detected => UTF_8,
        // Not UTF-8: a legacy encoding, read from its non-ASCII text (see
        // `readings`), then checked by decoding the whole file below.
        None => {
            let likely = detector.guess(None, chardetng::Utf8Detection::Deny);
            let evidence = Evidence::gather(path)?;
            if let Some((line, byte)) = evidence.almost_utf8() {
                return Err(DialectError::Invalid(
                    line,
                    format!(
                        "the file is UTF-8 but for byte 0x{byte:02X} on this line (a character pasted from another program, such as a Windows apostrophe?): correct it there, or give --encoding if the whole file is in another encoding"
                    ),
                ));
            }
            match readings::judge(&evidence, likely) {
                Judgement::One(enc) => enc,
                Judgement::Several { at, readings } => {
                    let first = readings[0].encoding();
                    ambiguity = Some(Ambiguity {
                        line: at.0,
                        index: at.1,
                        readings,
                    });
                    first
                }
                Judgement::Nothing { at, readings } => {
                    return Err(DialectError::Invalid(at.0, implausible(at.1, &readings)));
                }
            }
        }
    };
    let encoding = encoding.unwrap_or(detected);
    let utf16 = encoding == UTF_16LE || encoding == UTF_16BE;
    if let Some(bom) = bom_encoding
        && bom != encoding
        && !encoding_detected
    {
        return Err(DialectError::Invalid(
            1,
            format!(
                "--encoding {} contradicts the file's byte-order mark, which says {}",
                encoding.name(),
                bom.name()
            ),
        ));
    }
    if encoding == UTF_8 && bom_encoding == Some(UTF_8) && !utf8.valid() {
        return Err(DialectError::Invalid(
            bad_utf8_line.unwrap_or(1),
            format!(
                "the file starts with a UTF-8 byte-order mark but is not valid UTF-8 (first bad byte at offset {})",
                utf8.first_error.unwrap_or(size)
            ),
        ));
    }
    if let (Some(line), false) = (nul_line, utf16) {
        return Err(DialectError::Invalid(
            line,
            "the file contains NUL bytes: it is binary, or UTF-16 without a byte-order mark (then give --encoding utf-16le or utf-16be)".into(),
        ));
    }
    if !encoding_detected && encoding == UTF_8 && bom_encoding.is_none() && !utf8.valid() {
        return Err(DialectError::Invalid(
            bad_utf8_line.unwrap_or(1),
            format!(
                "the file is not valid UTF-8 (first bad byte at offset {}); {}",
                utf8.first_error.unwrap_or(0),
                likely_instead(path, detector.guess(None, chardetng::Utf8Detection::Deny))
            ),
        ));
    }
    if utf16 && !size.is_multiple_of(2) {
        return Err(DialectError::Invalid(
            lines_before + 1,
            format!(
                "the file is not valid {}: it has an odd number of bytes",
                encoding.name()
            ),
        ));
    }
    if encoding != UTF_8 && !utf16 {
        check_legacy(path, encoding, encoding_detected)?;
    }
    let text = decode_sample(encoding, &sample);
    if utf16 && text.contains('\u{FFFD}') {
        return Err(DialectError::Invalid(
            1,
            format!("the file is not valid {} text", encoding.name()),
        ));
    }
    // Excel writes `sep=;` above the header when asked for a delimiter other
    // than the locale's: it names the delimiter and is not the header.
    let sep = excel_sep(&text);
    let skip_lines = match header_row {
        Some(n) => n.saturating_sub(1),
        None => u64::from(sep.is_some()),
    };
    let body = after_lines(&text, skip_lines);
    let delimiter_detected = delimiter.is_none() && sep.is_none();
    let delimiter = match delimiter.or(sep) {
        Some(d) => d,
        None => sniff_delimiter(body, whole_file_sampled),
    };
    Ok(Probe {
        sha256: hex::encode(hasher.finalize()),
        size,
        dialect: Dialect {
            encoding,
            delimiter,
            encoding_detected,
            delimiter_detected,
            skip_lines,
        },
        ambiguity,
    })
}

/// The refusal of a file no candidate reads as plausible text.
fn implausible(index: usize, readings: &[Reading]) -> String {
    let mut m = String::from(
        "the file is not UTF-8, and reads as implausible text in every encoding tried (stray symbols, letters of two scripts in one word):",
    );
    m.push_str(&shown(readings, index));
    m.push_str("\ngive the file's encoding with --encoding (e.g. windows-1252, windows-1250, windows-1251, shift_jis, euc-kr, gb18030, big5)");
    m
}

/// A line of the file as each reading shows it, one reading a line.
fn shown(readings: &[Reading], index: usize) -> String {
    readings
        .iter()
        .take(readings::SHOWN)
        .map(|r| format!("\n  {:<44} {}", r.names(), r.excerpt(index)))
        .collect()
}

/// After a refused `--encoding utf-8`: the encoding(s) the text reads as.
fn likely_instead(path: &Path, likely: &'static Encoding) -> String {
    match Evidence::gather(path).map(|ev| readings::judge(&ev, likely)) {
        Ok(Judgement::One(enc)) => format!(
            "its text reads as {}: try --encoding {}",
            readings::family(enc),
            enc.name()
        ),
        Ok(Judgement::Several { readings, .. }) => {
            let encs: Vec<&'static Encoding> = readings.iter().take(3).map(Reading::encoding).collect();
            let names: Vec<String> = encs.iter().map(|e| format!("--encoding {} ({})", e.name(), readings::family(e))).collect();
            format!("it reads as sense in more than one encoding: try {}", names.join(", or "))
        }
        _ => "give the file's encoding with --encoding (e.g. windows-1252, windows-1250, windows-1251, shift_jis)".into(),
    }
}

/// The file as UTF-8 text, decoded while streaming (no whole-file buffer),
/// without its byte-order mark, with what the CSV reader cannot tell: the
/// quotes it was given and the lines as a text editor counts them.
pub fn open_decoded(
    path: &Path,
    dialect: &Dialect,
) -> io::Result<(Box<dyn Read + Send>, TextCounts)> {
    let file = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let reader = DecodeReaderBytesBuilder::new()
        .encoding(Some(dialect.encoding))
        .bom_override(true)
        .utf8_passthru(true)
        .strip_bom(true)
        .build(file);
    let mut reader = BufReader::new(reader);
    skip_lines(&mut reader, dialect.skip_lines)?;
    let counts = TextCounts::default();
    counts.tally().passed = dialect.skip_lines;
    counts.tally().skipped = dialect.skip_lines;
    let counting = Counting {
        inner: reader,
        counts: counts.clone(),
        offset: 0,
        after_cr: false,
        line_bytes: 0,
    };
    Ok((Box::new(counting), counts))
}

/// Reads past the first `n` lines (CRLF, LF or CR each ending one).
fn skip_lines(reader: &mut impl io::BufRead, n: u64) -> io::Result<()> {
    let mut left = n;
    let mut after_cr = false;
    while left > 0 || after_cr {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        let mut used = 0;
        for &b in buf {
            if after_cr {
                after_cr = false;
                if b == b'\n' {
                    used += 1;
                    continue;
                }
            }
            if left == 0 {
                break;
            }
            used += 1;
            match b {
                b'\n' => left -= 1,
                b'\r' => {
                    left -= 1;
                    after_cr = true;
                }
                _ => {}
            }
        }
        reader.consume(used);
        if left == 0 && !after_cr {
            return Ok(());
        }
    }
    Ok(())
}

/// What the decoded text held as it streamed past the CSV reader.
///
/// Quotes: well-formed CSV has an even number (each quoted field opens and
/// closes, inner quotes are doubled); an odd count at the end means a quote
/// was never closed, and the CSV reader, which reads such a field to the end
/// of the file, swallowed the rows after it into one cell.
///
/// Lines: the CSV reader's own line count takes CRLF for two line ends and
/// a lone CR for none (rust-csv issue 395), so a Windows export's errors
/// would name the line above, and a classic-Mac one line 1 throughout. Here
/// CRLF, LF and CR each end one line, as every text editor counts them.
#[derive(Debug, Clone, Default)]
pub struct TextCounts(std::sync::Arc<std::sync::Mutex<Tally>>);

#[derive(Debug, Default)]
struct Tally {
    quotes: u64,
    /// Line ends read ahead of the CSV reader, not yet passed: (offset,
    /// length: 2 for CRLF).
    ends: std::collections::VecDeque<(u64, u64)>,
    /// Line ends already passed.
    passed: u64,
    skipped: u64,
}

impl TextCounts {
    /// Shared with the reader that counts, which may run on the thread that
    /// reads ahead; only one side holds it at a time, so the lock is never
    /// waited on.
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lines read past before the header (`sep=` or title lines).
    pub fn lines_skipped(&self) -> u64 {
        self.tally().skipped
    }

    pub fn is_odd(&self) -> bool {
        self.tally().quotes % 2 == 1
    }

    /// The line (from 1) on which the record at `offset` starts. Offsets
    /// must come in order, as records do. The CSV reader places a record
    /// that follows blank lines at the first of them; its text starts after.
    pub fn line_at(&self, offset: u64) -> u64 {
        let mut t = self.tally();
        let mut start = offset;
        while let Some(&(end, len)) = t.ends.front() {
            if end > start {
                break;
            }
            // A record placed at (or inside the CRLF of) a line end starts
            // on the next line.
            if start < end + len {
                start = end + len;
            }
            t.ends.pop_front();
            t.passed += 1;
        }
        t.passed + 1
    }
}

/// The longest physical line read: a depot export's lines are a few
/// hundred bytes (a remark at most 4,000 characters); a longer one is a
/// damaged or hostile file, refused before the CSV reader buffers it whole.
pub const MAX_LINE_BYTES: u64 = 1 << 20;

/// A line past [`MAX_LINE_BYTES`], as an I/O error the import names by line.
#[derive(Debug)]
pub struct LineTooLong {
    pub line: u64,
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line longer than {} bytes (a depot export's lines are a few hundred): the file is damaged or not an export",
            MAX_LINE_BYTES
        )
    }
}

impl std::error::Error for LineTooLong {}

struct Counting<R> {
    inner: R,
    counts: TextCounts,
    offset: u64,
    after_cr: bool,
    /// Bytes since the last line end.
    line_bytes: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut t = self.counts.tally();
        for (i, &b) in buf[..n].iter().enumerate() {
            let at = self.offset + i as u64;
            self.line_bytes += 1;
            match b {
                b'"' => t.quotes += 1,
                b'\r' => {
                    self.line_bytes = 0;
                    t.ends.push_back((at, 1));
                }
                b'\n' => {
                    self.line_bytes = 0;
                    let after_cr = if i == 0 {
                        self.after_cr
                    } else {
                        buf[i - 1] == b'\r'
                    };
                    match t.ends.back_mut() {
                        // The LF of a CRLF ends the line its CR already ended.
                        Some(last) if after_cr && last.0 + 1 == at => last.1 = 2,
                        _ if after_cr => {}
                        _ => t.ends.push_back((at, 1)),
                    }
                }
                _ => {}
            }
            if self.line_bytes > MAX_LINE_BYTES {
                let line = t.passed + t.ends.len() as u64 + 1;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    LineTooLong { line },
                ));
            }
        }
        if n > 0 {
            self.after_cr = buf[n - 1] == b'\r';
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Parses an `--encoding` value: any WHATWG label (utf-8, utf-16le,
/// windows-1252, latin1, windows-1250, iso-8859-2 …).
pub fn parse_encoding(label: &str) -> Result<&'static Encoding, String> {
    let label = label.trim();
    // The code-page names Windows and Python use, which WHATWG does not list.
    let lower = label.to_ascii_lowercase();
    let windows = match lower.as_str() {
        "cp932" | "ms932" => Some("shift_jis"),
        "cp936" | "ms936" => Some("gbk"),
        "cp949" | "ms949" | "uhc" => Some("euc-kr"),
        "cp950" | "ms950" => Some("big5"),
        "cp874" => Some("windows-874"),
        "cp20866" => Some("koi8-r"),
        "cp54936" => Some("gb18030"),
        _ => None,
    };
    let cp125x = lower
        .strip_prefix("cp")
        .filter(|n| n.len() == 4 && n.starts_with("125"))
        .map(|n| format!("windows-{n}"));
    let name = windows.map(String::from).or(cp125x).unwrap_or(lower);
    Encoding::for_label(name.as_bytes()).ok_or_else(|| {
        format!("\"{label}\" is not a known encoding (expected a WHATWG label or code page, e.g. utf-8, utf-16le, windows-1252, cp1250, shift_jis, cp932, euc-kr, gb18030, big5)")
    })
}

/// Parses a `--delimiter` value: one character, or a name.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "comma" | "," => Ok(b','),
        "semicolon" | ";" => Ok(b';'),
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "pipe" | "|" => Ok(b'|'),
        t if t.len() == 1 && t.is_ascii() && t != "\"" && t != "\n" && t != "\r" => {
            Ok(t.as_bytes()[0])
        }
        _ => Err(format!(
            "\"{text}\" is not a delimiter (expected one ASCII character, or comma, semicolon, tab, pipe)"
        )),
    }
}

/// Decodes a legacy-encoded file once, strictly: a byte sequence the
/// encoding cannot read is refused at its line (never stored as U+FFFD),
/// and a guessed encoding must also read as plausible text — otherwise the
/// guess is not trusted and the user is asked for `--encoding`.
fn check_legacy(
    path: &Path,
    encoding: &'static Encoding,
    detected: bool,
) -> Result<(), DialectError> {
    let mut file = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(64 * 1024);
    let mut buf = vec![0u8; 64 * 1024];
    let mut text = TextScan {
        line: 1,
        after_cr: false,
        non_ascii: 0,
        odd: 0,
    };
    let mut offset = 0u64;
    let hint = "give the file's encoding with --encoding (e.g. windows-1252, windows-1250, shift_jis, euc-kr, gb18030, big5)";
    let refuse = |line: u64, what: String| {
        DialectError::Invalid(
            line,
            if detected {
                format!(
                    "the file is not UTF-8, and does not read as {} either ({what}): {hint}",
                    encoding.name()
                )
            } else {
                format!(
                    "{what}: this is not {} text; check --encoding",
                    encoding.name()
                )
            },
        )
    };
    let mut last = false;
    while !last {
        let n = file.read(&mut buf)?;
        last = n == 0;
        let mut input = &buf[..n];
        loop {
            out.clear();
            let (result, read) =
                decoder.decode_to_string_without_replacement(input, &mut out, last);
            if let Some(c) = text.scan(&out, encoding) {
                return Err(refuse(
                    text.line,
                    format!(
                        "it gives the character U+{:04X}, a control or private-use code",
                        u32::from(c)
                    ),
                ));
            }
            match result {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => {
                    offset += read as u64;
                    input = &input[read..];
                    out.reserve(out.capacity());
                }
                encoding_rs::DecoderResult::Malformed(bad, _) => {
                    let at = read.saturating_sub(usize::from(bad));
                    let bytes: Vec<String> = input[at..read]
                        .iter()
                        .map(|b| format!("0x{b:02X}"))
                        .collect();
                    return Err(refuse(
                        text.line,
                        format!(
                            "bytes {} at offset {} cannot be read",
                            bytes.join(" "),
                            offset + at as u64
                        ),
                    ));
                }
            }
        }
        offset += input.len() as u64;
    }
    // A guess that reads as stray symbols is not the file's encoding:
    // silent mojibake is worse than a question.
    if detected && text.odd * 5 > text.non_ascii {
        return Err(DialectError::Invalid(
            1,
            format!(
                "the file is not UTF-8, and its best guess, {}, reads as implausible text ({} of {} non-ASCII characters are stray symbols): {hint}",
                encoding.name(),
                text.odd,
                text.non_ascii
            ),
        ));
    }
    Ok(())
}

/// Lines and characters of decoded text, as it streams.
struct TextScan {
    line: u64,
    after_cr: bool,
    non_ascii: u64,
    odd: u64,
}

impl TextScan {
    /// Counts lines (CRLF, LF, CR) and characters; returns the first
    /// character no text holds (a C1 control, a private-use code point),
    /// with `line` left at its line.
    fn scan(&mut self, text: &str, encoding: &'static Encoding) -> Option<char> {
        for c in text.chars() {
            match c {
                '\r' => self.line += 1,
                '\n' if !self.after_cr => self.line += 1,
                c if !c.is_ascii() => {
                    self.non_ascii += 1;
                    if c.is_control() || ('\u{E000}'..='\u{F8FF}').contains(&c) {
                        return Some(c);
                    }
                    if readings::stray_symbol(c, encoding) {
                        self.odd += 1;
                    }
                }
                _ => {}
            }
            self.after_cr = c == '\r';
        }
        None
    }
}

fn decode_sample(encoding: &'static Encoding, sample: &[u8]) -> String {
    let (text, _, _) = encoding.decode(sample);
    text.into_owned()
}

/// The delimiter an Excel `sep=X` first line names.
fn excel_sep(text: &str) -> Option<u8> {
    let first = text.lines().next()?.trim().trim_matches('"');
    let rest = first
        .get(..4)?
        .eq_ignore_ascii_case("sep=")
        .then(|| &first[4..])?;
    match rest.as_bytes() {
        [d] if !d.is_ascii_alphanumeric() => Some(*d),
        _ => None,
    }
}

/// The text after its first `n` lines (any line ends).
fn after_lines(text: &str, n: u64) -> &str {
    let mut rest = text;
    for _ in 0..n {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => return "",
        }
    }
    rest
}

/// The candidate that splits the header into the most columns and every
/// following sample row into the same number wins; quoted delimiters do not
/// count because the sample is parsed as CSV, not counted as characters.
fn sniff_delimiter(text: &str, complete: bool) -> u8 {
    let mut best = (false, 0usize, b',');
    for &candidate in &CANDIDATES {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(candidate)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut lens: Vec<usize> = Vec::new();
        for record in reader.records().take(101) {
            match record {
                Ok(r) if r.len() == 1 && r.get(0).is_some_and(|f| f.trim().is_empty()) => {}
                Ok(r) => lens.push(r.len()),
                Err(_) => break,
            }
        }
        if !complete && lens.len() > 1 {
            lens.pop(); // the sample may have cut the last record
        }
        let Some(&header) = lens.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let consistent = lens.iter().all(|&n| n == header);
        let score = (consistent, header, candidate);
        if (score.0, score.1) > (best.0, best.1) {
            best = score;
        }
    }
    best.2
}

fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Incremental UTF-8 validation across chunk boundaries.
#[derive(Default)]
struct Utf8Scan {
    carry: Vec<u8>,
    offset: u64,
    first_error: Option<u64>,
}

impl Utf8Scan {
    fn feed(&mut self, chunk: &[u8]) {
        if self.first_error.is_some() {
            return;
        }
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(chunk);
        match std::str::from_utf8(&data) {
            Ok(_) => self.offset += data.len() as u64,
            Err(e) => match e.error_len() {
                Some(_) => self.first_error = Some(self.offset + e.valid_up_to() as u64),
                None => {
                    self.offset += e.valid_up_to() as u64;
                    self.carry = data[e.valid_up_to()..].to_vec();
                }
            },
        }
    }

    fn valid(&self) -> bool {
        self.first_error.is_none() && self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters_ignoring_quoted_ones() {
        let t = "a;b;c\n\"x,y\";2;3\n\"p,q,r\";4;5\n";
        assert_eq!(sniff_delimiter(t, true), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n", true), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n1|2|3\n", true), b'|');
        assert_eq!(sniff_delimiter("a,b\n1,2\n", true), b',');
    }

    #[test]
    fn utf8_scan_across_chunks() {
        let s = "é".as_bytes();
        let mut scan = Utf8Scan::default();
        scan.feed(&s[..1]);
        scan.feed(&s[1..]);
        assert!(scan.valid());
        let mut bad = Utf8Scan::default();
        bad.feed(b"abc\xe9def");
        assert!(!bad.valid());
        assert_eq!(bad.first_error, Some(3));
    }
}
