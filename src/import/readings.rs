//! Which legacy encoding a file that is not UTF-8 is in — or that it cannot
//! be told. A file's non-ASCII lines are decoded in every code page a depot
//! of the force may write; each reading is judged as text (one script per
//! word, letters of one language, case and symbols where text has them).
//! When the plausible readings agree, that is the file's encoding; when they
//! disagree, the file is ambiguous and the user is shown how it reads, never
//! given a confident guess: `Ремонт` in Windows-1251 and `Πεμξνς` in
//! Windows-1253 are both clean decodings, and only a person can say which.
//!
//! A statistical detector (chardetng) picks well on long text and orders the
//! readings shown, but on a few short remarks its guess between code pages
//! of one family is confidently wrong, which is why it no longer decides.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use encoding_rs::*;

/// The code pages tried, in the order a tie is shown: Windows-1252 first, the
/// default SPEC §2 names for text that is not UTF-8.
pub const CANDIDATES: [&Encoding; 22] = [
    WINDOWS_1252,
    WINDOWS_1250,
    WINDOWS_1251,
    WINDOWS_1253,
    WINDOWS_1254,
    WINDOWS_1257,
    WINDOWS_1255,
    WINDOWS_1256,
    WINDOWS_1258,
    ISO_8859_2,
    ISO_8859_5,
    ISO_8859_7,
    ISO_8859_13,
    ISO_8859_15,
    KOI8_R,
    KOI8_U,
    IBM866,
    SHIFT_JIS,
    EUC_JP,
    GBK,
    BIG5,
    EUC_KR,
];

/// How much of a file is judged: its first non-ASCII lines, up to these
/// bounds (a depot's remarks repeat; a few thousand lines say all they can).
const MAX_LINES: usize = 4096;
const MAX_BYTES: usize = 256 * 1024;
const MAX_LINE: usize = 4096;
/// East Asian characters the detector needs before it decides between
/// East Asian code pages.
const DETECTOR_TRUSTED: usize = 200;
/// Readings a refusal shows.
pub const SHOWN: usize = 8;

/// The lines of a file that hold non-ASCII bytes, with their line numbers.
#[derive(Debug, Default)]
pub struct Evidence {
    lines: Vec<(u64, Vec<u8>)>,
    /// Lines that are valid UTF-8 with multi-byte characters, and lines that
    /// are not: a UTF-8 file with one pasted Windows byte has many of the
    /// first and one of the second.
    utf8_lines: u64,
    other_lines: u64,
    first_other: Option<(u64, u8)>,
}

impl Evidence {
    /// Reads the file once more, keeping its non-ASCII lines (bounded).
    pub fn gather(path: &Path) -> io::Result<Evidence> {
        let mut file = File::open(path)?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut ev = Evidence::default();
        let mut line = Vec::new();
        let mut number = 1u64;
        let mut non_ascii = false;
        let mut after_cr = false;
        let mut kept = 0usize;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            for &b in &buf[..n] {
                if b == b'\n' && after_cr {
                    after_cr = false;
                    continue;
                }
                after_cr = b == b'\r';
                if b == b'\n' || b == b'\r' {
                    if non_ascii {
                        kept += line.len();
                        ev.keep(number, std::mem::take(&mut line));
                    }
                    line.clear();
                    non_ascii = false;
                    number += 1;
                    if ev.lines.len() >= MAX_LINES || kept >= MAX_BYTES {
                        return Ok(ev);
                    }
                    continue;
                }
                non_ascii |= b >= 0x80;
                if line.len() < MAX_LINE {
                    line.push(b);
                }
            }
        }
        if non_ascii {
            ev.keep(number, line);
        }
        Ok(ev)
    }

    fn keep(&mut self, number: u64, mut line: Vec<u8>) {
        if line.len() >= MAX_LINE {
            // A cut line ends after its last byte below 0x40, which no
            // candidate uses inside a character.
            let end = line.iter().rposition(|&b| b < 0x40).map_or(0, |i| i + 1);
            line.truncate(end);
        }
        match std::str::from_utf8(&line) {
            Ok(_) => self.utf8_lines += 1,
            Err(e) => {
                self.other_lines += 1;
                if self.first_other.is_none() {
                    self.first_other = Some((number, line[e.valid_up_to()]));
                }
            }
        }
        self.lines.push((number, line));
    }

    /// The line and byte of a UTF-8 file's few stray bytes, when the file is
    /// UTF-8 but for them (a `’` pasted from a Windows program as 0x92).
    pub fn almost_utf8(&self) -> Option<(u64, u8)> {
        (self.utf8_lines > self.other_lines)
            .then_some(self.first_other)
            .flatten()
    }

    #[cfg(test)]
    fn of(lines: &[&[u8]]) -> Evidence {
        let mut ev = Evidence::default();
        for (i, l) in lines.iter().enumerate() {
            ev.keep(i as u64 + 1, l.to_vec());
        }
        ev
    }
}

/// One way of reading the evidence, shared by the encodings that give it.
#[derive(Debug, Clone)]
pub struct Reading {
    pub encodings: Vec<&'static Encoding>,
    lines: Vec<String>,
    /// Words and symbols no text of the reading's script would hold.
    pub odd: usize,
    pub tokens: usize,
    /// Its non-ASCII characters, and those of them that are symbols.
    chars: usize,
    symbols: usize,
    /// Its accented letters all belong to one Western European language.
    western: bool,
}

impl Reading {
    pub fn encoding(&self) -> &'static Encoding {
        self.encodings[0]
    }

    pub fn plausible(&self) -> bool {
        self.odd == 0 || (self.tokens >= 50 && self.odd * 50 <= self.tokens)
    }

    /// The words of line `i` that hold non-ASCII text, cut to ~60 characters.
    pub fn excerpt(&self, i: usize) -> String {
        let words: Vec<&str> = self.lines[i]
            .split(|c: char| c.is_ascii_whitespace() || ",;|\"".contains(c))
            .filter(|w| !w.is_ascii())
            .collect();
        let mut out = String::new();
        for w in words {
            if out.chars().count() + w.chars().count() > 60 {
                if out.is_empty() {
                    out.extend(w.chars().take(60));
                    out.push('…');
                }
                break;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
        out
    }

    /// The encodings that give this reading, as a user names them.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.encodings.iter().map(|e| e.name()).collect();
        format!("{} ({})", names.join(" or "), family(self.encoding()))
    }
}

/// What the evidence says.
#[derive(Debug)]
pub enum Judgement {
    /// Every plausible reading is the same text.
    One(&'static Encoding),
    /// Plausible readings disagree (likeliest first); `line` is the first
    /// evidence line (index) where they do.
    Several {
        at: (u64, usize),
        readings: Vec<Reading>,
    },
    /// No reading is plausible; the least odd first.
    Nothing {
        at: (u64, usize),
        readings: Vec<Reading>,
    },
}

/// Judges every candidate's reading of the evidence. `likely` (the
/// statistical detector's guess) only orders readings that tie.
pub fn judge(ev: &Evidence, likely: &'static Encoding) -> Judgement {
    let mut readings: Vec<Reading> = Vec::new();
    for enc in CANDIDATES {
        let Some(r) = read(ev, enc) else { continue };
        match readings.iter_mut().find(|o| o.lines == r.lines) {
            Some(o) => o.encodings.push(enc),
            None => readings.push(r),
        }
    }
    let (mut plausible, mut odd): (Vec<Reading>, Vec<Reading>) =
        readings.into_iter().partition(Reading::plausible);
    let rank = |r: &Reading| {
        (
            !r.encodings.contains(&likely),
            r.odd * 1000 / r.tokens.max(1),
            r.symbols * 1000 / r.chars.max(1),
            CANDIDATES.iter().position(|&e| e == r.encodings[0]),
        )
    };
    plausible.sort_by_key(rank);
    odd.sort_by_key(rank);
    match plausible.len() {
        0 => {
            let at = differ(ev, &odd);
            Judgement::Nothing { at, readings: odd }
        }
        1 => Judgement::One(plausible[0].encoding()),
        _ => {
            // SPEC §2's default: Windows-1252 is the reading when it is
            // plausible Western European text and the detector's statistics
            // agree, even where a Central European code page also reads as
            // sense (French `è` is `č` in 1250). Either alone is not enough:
            // Polish `zmęczenie` reads as French letters (`zmêczenie`).
            if plausible.iter().any(|r| {
                r.encodings.contains(&WINDOWS_1252) && r.encodings.contains(&likely) && r.western
            }) {
                return Judgement::One(WINDOWS_1252);
            }
            // Between East Asian code pages the statistical detector knows
            // which characters are common; it is trusted on enough text
            // (hundreds of characters), never on a few remarks.
            if plausible.iter().all(|r| !r.encoding().is_single_byte())
                && let Some(r) = plausible.iter().find(|r| r.encodings.contains(&likely))
                && r.chars >= DETECTOR_TRUSTED
            {
                return Judgement::One(likely);
            }
            let at = differ(ev, &plausible);
            Judgement::Several {
                at,
                readings: plausible,
            }
        }
    }
}

/// The first evidence line (number, index) where the readings differ.
fn differ(ev: &Evidence, readings: &[Reading]) -> (u64, usize) {
    let i = (0..ev.lines.len())
        .find(|&i| readings.iter().any(|r| r.lines[i] != readings[0].lines[i]))
        .unwrap_or(0);
    (ev.lines.get(i).map_or(1, |l| l.0), i)
}

/// The evidence decoded strictly in one encoding, and judged; `None` when a
/// byte cannot be read or the text holds controls or private-use codes.
fn read(ev: &Evidence, enc: &'static Encoding) -> Option<Reading> {
    let mut lines = Vec::with_capacity(ev.lines.len());
    let mut judge = Judge::new(enc);
    for (_, bytes) in &ev.lines {
        let text = enc
            .decode_without_bom_handling_and_without_replacement(bytes)?
            .into_owned();
        if text
            .chars()
            .any(|c| !c.is_ascii() && (c.is_control() || ('\u{E000}'..='\u{F8FF}').contains(&c)))
        {
            return None;
        }
        judge.text(&text);
        lines.push(text);
    }
    let (odd, tokens, western, symbols) = judge.finish();
    let chars = lines
        .iter()
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_ascii())
        .count();
    Some(Reading {
        encodings: vec![enc],
        lines,
        odd,
        tokens,
        chars,
        symbols,
        western,
    })
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Script {
    Ascii,
    Latin,
    Greek,
    Cyrillic,
    Hebrew,
    Arabic,
    Thai,
    Hangul,
    Kana,
    HalfKana,
    Han,
    Other,
}

fn script(c: char) -> Script {
    match c {
        c if c.is_ascii_alphabetic() => Script::Ascii,
        '\u{FF10}'..='\u{FF5A}' => Script::Ascii,
        '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Script::Latin,
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Script::Greek,
        '\u{0400}'..='\u{04FF}' => Script::Cyrillic,
        '\u{0590}'..='\u{05FF}' => Script::Hebrew,
        '\u{0600}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFF}' => Script::Arabic,
        '\u{0E00}'..='\u{0E7F}' => Script::Thai,
        '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' => {
            Script::Hangul
        }
        '\u{3040}'..='\u{30FF}' => Script::Kana,
        '\u{FF66}'..='\u{FF9F}' => Script::HalfKana,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{3005}' => Script::Han,
        _ => Script::Other,
    }
}

/// Judges a reading's words as they stream.
struct Judge {
    enc: &'static Encoding,
    odd: usize,
    tokens: usize,
    latin: BTreeSet<char>,
    cyrillic: BTreeSet<char>,
    /// A Latin word not spelt as Western European languages spell.
    unwestern: bool,
    /// Non-ASCII characters that are not letters or digits.
    symbols: usize,
    word: String,
}

impl Judge {
    fn new(enc: &'static Encoding) -> Judge {
        Judge {
            enc,
            odd: 0,
            tokens: 0,
            latin: BTreeSet::new(),
            cyrillic: BTreeSet::new(),
            unwestern: false,
            symbols: 0,
            word: String::new(),
        }
    }

    fn text(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        let letter = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
        for (i, &c) in chars.iter().enumerate() {
            if c.is_alphanumeric() || ('\u{0300}'..='\u{036F}').contains(&c) {
                self.word.push(c);
                continue;
            }
            self.end_word();
            if !c.is_ascii() {
                self.tokens += 1;
                self.symbols += 1;
                // A symbol text holds stands apart: not glued to another
                // (`•”•`) nor inside a word (`i‘Ò`).
                let before = i.checked_sub(1).and_then(|j| chars.get(j));
                let glued = before
                    .is_some_and(|b| !b.is_ascii() && !b.is_alphanumeric() && !b.is_whitespace())
                    || (letter(before) && letter(chars.get(i + 1)));
                if stray_symbol(c, self.enc) || (self.enc.is_single_byte() && glued) {
                    self.odd += 1;
                }
            }
        }
        self.end_word();
    }

    fn end_word(&mut self) {
        if self.word.is_ascii() {
            self.word.clear();
            return;
        }
        let word = std::mem::take(&mut self.word);
        self.tokens += 1;
        if !self.word_plausible(&word) {
            self.odd += 1;
        }
        for c in word.chars() {
            match script(c) {
                Script::Latin => self.latin.extend(c.to_lowercase()),
                Script::Cyrillic => self.cyrillic.extend(c.to_lowercase()),
                _ => {}
            }
        }
    }

    fn word_plausible(&mut self, word: &str) -> bool {
        let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
        // A letter beside a superscript or fraction (`g¹sienic`) is a
        // letter misread as a number.
        if word
            .chars()
            .any(|c| c.is_numeric() && !c.is_ascii_digit() && script(c) == Script::Other)
            && !letters.is_empty()
        {
            return false;
        }
        // Ordinal indicators and the micro sign follow a number (`1º`,
        // `5µm`): elsewhere (`º`, `Лµµ`) they are letters misread.
        if letters
            .iter()
            .any(|&c| script(c) == Script::Other && !c.is_ascii())
            && !word.starts_with(|c: char| c.is_ascii_digit())
        {
            return false;
        }
        let scripts: BTreeSet<Script> = letters
            .iter()
            .map(|&c| script(c))
            .filter(|&s| s != Script::Other)
            .collect();
        let foreign: Vec<Script> = scripts
            .iter()
            .copied()
            .filter(|&s| s != Script::Ascii)
            .collect();
        let cjk = |s: &Script| {
            matches!(
                s,
                Script::Han | Script::Kana | Script::HalfKana | Script::Hangul
            )
        };
        match foreign.as_slice() {
            [] | [_] => {}
            [Script::Kana, Script::Han] | [Script::Hangul, Script::Han] => {}
            _ => return false,
        }
        // An alphabet of another script inside a Latin word (`fдllig`).
        if scripts.contains(&Script::Ascii)
            && foreign.iter().any(|s| !cjk(s) && *s != Script::Latin)
        {
            return false;
        }
        // Latin letters beside Han or kana are an acronym (`GPS受信機`), not
        // small letters (`pi鋃es` is `pièces` misread).
        if foreign.iter().any(cjk) && letters.iter().any(char::is_ascii_lowercase) {
            return false;
        }
        let multi_byte = !self.enc.is_single_byte();
        for s in &foreign {
            let fits = match s {
                Script::Kana => self.enc == SHIFT_JIS || self.enc == EUC_JP,
                Script::HalfKana => {
                    (self.enc == SHIFT_JIS || self.enc == EUC_JP)
                        && !foreign
                            .iter()
                            .any(|s| matches!(s, Script::Han | Script::Kana))
                }
                Script::Hangul => self.enc == EUC_KR,
                Script::Han => multi_byte,
                _ => !multi_byte || *s == Script::Greek || *s == Script::Cyrillic,
            };
            if !fits {
                return false;
            }
        }
        if multi_byte
            && letters
                .iter()
                .any(|&c| cjk(&script(c)) && rare(c, self.enc))
        {
            return false;
        }
        // Case: a capital after a small letter inside a word, where either is
        // not ASCII (`fÄllig`, `пЕЛНМР`).
        if letters.windows(2).any(|p| {
            p[0].is_lowercase() && p[1].is_uppercase() && !(p[0].is_ascii() && p[1].is_ascii())
        }) {
            return false;
        }
        match foreign.as_slice() {
            [Script::Latin] => {
                if !western_word(&letters) {
                    self.unwestern = true;
                }
                latin_word(&letters)
            }
            [Script::Greek] => greek_word(&letters),
            _ => true,
        }
    }

    fn finish(mut self) -> (usize, usize, bool, usize) {
        self.end_word();
        // The letters of one language, with those of the Western European
        // ones (a Polish depot's German remarks, a French depot's Spanish
        // ones) — not a scatter of several alphabets' (`arżzasż dešižtirilmeli`
        // is Turkish misread). Cyrillic: one language's.
        let west: String = LATIN.iter().filter(|(w, _)| *w).map(|(_, a)| *a).collect();
        let latin_ok = LATIN.iter().any(|(_, a)| {
            self.latin
                .iter()
                .all(|c| a.contains(*c) || west.contains(*c))
        });
        let cyrillic_ok = self.cyrillic.is_empty()
            || CYRILLIC
                .iter()
                .any(|a| self.cyrillic.iter().all(|c| a.contains(*c)));
        let western = self.cyrillic.is_empty()
            && !self.unwestern
            && self.latin.iter().all(|c| west.contains(*c));
        let odd = self.odd + usize::from(!latin_ok) * 1000 + usize::from(!cyrillic_ok) * 1000;
        (odd, self.tokens, western, self.symbols)
    }
}

/// A Latin word whose accented letters could be a language's.
fn latin_word(letters: &[char]) -> bool {
    let accented = letters.iter().filter(|c| !c.is_ascii()).count();
    match letters {
        // The one-letter words that are accented: à, è, é, ó, ò, ő.
        [c] => "àèéóòőÀÉ".contains(*c),
        // No word is accented letters only (`ÎÊ` is Cyrillic `ОК`).
        _ => accented < letters.len(),
    }
}

/// A word spelt as Western European languages spell: what Windows-1252, the
/// default, must read as before it is taken over other plausible readings.
fn western_word(letters: &[char]) -> bool {
    let lower: Vec<char> = letters.iter().flat_map(|c| c.to_lowercase()).collect();
    let accented = |c: &char| !c.is_ascii() && western_letter(*c);
    let next = |i: usize| lower.get(i + 1).copied();
    // A grave vowel opens no word (`èerpadla` is Czech `čerpadla`).
    if lower.len() > 1 && "àèìòù".contains(lower[0]) {
        return false;
    }
    // No two accented letters side by side but `éé` (`toèí` is Czech
    // `točí`, `czêœæ` Polish `część`).
    if lower
        .windows(2)
        .any(|w| accented(&w[0]) && accented(&w[1]) && !(w[0] == 'é' && w[1] == 'é'))
    {
        return false;
    }
    lower.iter().enumerate().all(|(i, c)| match c {
        // Tildes stand before their vowel (`ões`, `ão`, `mãe`): Hungarian
        // `ellenőrzés` read as 1252 is `ellenõrzés`.
        'õ' => next(i) == Some('e'),
        'ã' => matches!(next(i), None | Some('o' | 'e' | 's')),
        // A cedilla softens c before a, o, u (`façade`, `reçu`), or ends a
        // Catalan word: Latvian `dzinēja` read as 1252 is `dzinçja`.
        'ç' => matches!(next(i), None | Some('a' | 'o' | 'u')),
        _ => true,
    })
}

fn western_letter(c: char) -> bool {
    LATIN.iter().any(|(w, a)| *w && a.contains(c))
}

/// A Greek word has a vowel, and its final sigma is final.
fn greek_word(letters: &[char]) -> bool {
    let vowel = |c: &char| "αεηιουωάέήίόύώϊϋΐΰΑΕΗΙΟΥΩΆΈΉΊΌΎΏΪΫ".contains(*c);
    if letters.len() >= 2 && !letters.iter().any(vowel) {
        return false;
    }
    !letters[..letters.len().saturating_sub(1)].contains(&'ς')
}

/// A character outside the common repertoire of the multi-byte code page
/// that gave it (GBK's extension rows, Big5's and Shift_JIS's vendor rows,
/// UHC's added syllables): the mark of a misread file.
fn rare(c: char, enc: &'static Encoding) -> bool {
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = enc.encode(c.encode_utf8(&mut buf));
    if unmappable || bytes.len() != 2 {
        // Half-width katakana are one byte in Shift_JIS.
        return !(enc == SHIFT_JIS && bytes.len() == 1);
    }
    let (lead, trail) = (bytes[0], bytes[1]);
    if enc == GBK {
        !((0xA1..=0xA9).contains(&lead) || (0xB0..=0xF7).contains(&lead)) || trail < 0xA1
    } else if enc == BIG5 {
        !((0xA1..=0xA3).contains(&lead)
            || (0xA4..=0xC6).contains(&lead)
            || (0xC9..=0xF9).contains(&lead))
    } else if enc == SHIFT_JIS {
        !((0x81..=0x84).contains(&lead)
            || (0x88..=0x9F).contains(&lead)
            || (0xE0..=0xEA).contains(&lead))
    } else if enc == EUC_KR {
        !((0xA1..=0xAC).contains(&lead)
            || (0xB0..=0xC8).contains(&lead)
            || (0xCA..=0xFD).contains(&lead))
            || trail < 0xA1
    } else if enc == EUC_JP {
        !(0xA1..=0xF4).contains(&lead)
    } else {
        false
    }
}

/// A symbol a single-byte encoding's text would hardly hold: where a wrong
/// guess turns letters into symbols (`“_ŒŸÏ‚Ý`), they pile up.
pub fn stray_symbol(c: char, encoding: &'static Encoding) -> bool {
    encoding.is_single_byte()
        && !c.is_alphanumeric()
        && !c.is_whitespace()
        && !"–—‘’‚“”„•…€£¥°§«»½¼¾±×÷·¹²³µ¶©®™¿¡ªº¤¦¨¬¯´¸".contains(c)
}

/// The accented letters of the Latin-script languages of the force's
/// nations (true: Western European, read in Windows-1252 by default).
const LATIN: [(bool, &str); 24] = [
    (true, "àâæçéèêëîïôœùûüÿ"),   // French
    (true, "äöüß"),               // German
    (true, "áéíóúàèëïöüĳ"),       // Dutch
    (true, "àèéìíîòóùú"),         // Italian
    (true, "áéíñóúü"),            // Spanish
    (true, "áâãàçéêíóôõú"),       // Portuguese
    (true, "àçéèíïòóúü"),         // Catalan
    (true, "æøåéó"),              // Danish, Norwegian
    (true, "åäöé"),               // Swedish
    (true, "äéëè"),               // Luxembourgish
    (false, "åäöšž"),             // Finnish
    (false, "äöõüšž"),            // Estonian
    (false, "āčēģīķļņšūž"),       // Latvian
    (false, "ąčęėįšųūž"),         // Lithuanian
    (false, "ąćęłńóśźż"),         // Polish
    (false, "áčďéěíňóřšťúůýž"),   // Czech
    (false, "áäčďéíĺľňóôŕšťúýž"), // Slovak
    (false, "čšž"),               // Slovene
    (false, "čćđšž"),             // Croatian, Bosnian, Serbian Latin
    (false, "áéíóöőúüű"),         // Hungarian
    (false, "ăâîșşțţ"),           // Romanian
    (false, "çë"),                // Albanian
    (false, "çğıöşüâîû"),         // Turkish
    (false, "àċèġħìòùż"),         // Maltese
];

/// The Cyrillic alphabets (lower case): Russian, Ukrainian, Belarusian,
/// Bulgarian, Serbian, Macedonian.
const CYRILLIC: [&str; 6] = [
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "абвгдеёжзійклмнопрстуўфхцчшыьэюя",
    "абвгдежзийклмнопрстуфхцчшщъьюя",
    "абвгдђежзијклљмнњопрстћуфхцчџш",
    "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
];

/// A code page's script family, as the refusal names it.
pub fn family(enc: &'static Encoding) -> &'static str {
    match enc.name() {
        "windows-1252" | "ISO-8859-15" => "Western European",
        "windows-1250" | "ISO-8859-2" => "Central European",
        "windows-1251" | "ISO-8859-5" | "KOI8-R" | "KOI8-U" | "IBM866" => "Cyrillic",
        "windows-1253" | "ISO-8859-7" => "Greek",
        "windows-1254" => "Turkish",
        "windows-1257" | "ISO-8859-13" => "Baltic",
        "windows-1255" => "Hebrew",
        "windows-1256" => "Arabic",
        "windows-1258" => "Vietnamese",
        "Shift_JIS" | "EUC-JP" => "Japanese",
        "GBK" | "gb18030" => "Chinese, simplified",
        "Big5" => "Chinese, traditional",
        "EUC-KR" => "Korean",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(label: &str, text: &str) -> Vec<u8> {
        let e = Encoding::for_label(label.as_bytes()).unwrap();
        let (b, _, bad) = e.encode(text);
        assert!(!bad, "{label} {text}");
        b.into_owned()
    }

    fn verdict(label: &str, lines: &[&str]) -> Judgement {
        let bytes: Vec<Vec<u8>> = lines.iter().map(|l| enc(label, l)).collect();
        judge_lines(&bytes)
    }

    /// The judgement of these lines, with the detector's guess as the
    /// import would make it.
    pub(super) fn judge_lines(bytes: &[Vec<u8>]) -> Judgement {
        let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        for b in bytes {
            detector.feed(b, false);
        }
        detector.feed(&[], true);
        let likely = detector.guess(None, chardetng::Utf8Detection::Deny);
        judge(&Evidence::of(&refs), likely)
    }

    fn one(label: &str, lines: &[&str]) -> &'static str {
        match verdict(label, lines) {
            Judgement::One(e) => e.name(),
            other => panic!("{label} {lines:?}: {other:?}"),
        }
    }

    #[test]
    fn western_text_reads_as_windows_1252() {
        assert_eq!(
            one("windows-1252", &["\"révision « annuelle » faite\""]),
            "windows-1252"
        );
        assert_eq!(
            one(
                "windows-1252",
                &["dépôt;pièces;rangée", "Übung fällig, Straße"]
            ),
            "windows-1252"
        );
    }

    /// Read right, or asked with the right reading among those shown.
    fn never_wrong(label: &str, lines: &[&str]) -> bool {
        let want = Encoding::for_label(label.as_bytes()).unwrap();
        match verdict(label, lines) {
            Judgement::One(e) => {
                let a: Vec<Vec<u8>> = lines.iter().map(|l| enc(label, l)).collect();
                let same = a
                    .iter()
                    .zip(lines)
                    .all(|(b, l)| e.decode_without_bom_handling(b).0 == *l);
                assert!(same, "{label} {lines:?} read as {}", e.name());
                e == want
            }
            Judgement::Several { readings, at } => {
                let shown = readings
                    .iter()
                    .take(SHOWN)
                    .any(|r| r.encodings.contains(&want));
                assert!(
                    shown,
                    "{label} {lines:?}: {:?}",
                    readings.iter().map(|r| r.excerpt(at.1)).collect::<Vec<_>>()
                );
                false
            }
            Judgement::Nothing { .. } => panic!("{label} {lines:?}: nothing plausible"),
        }
    }

    #[test]
    fn the_cases_a_guess_got_wrong_are_asked_or_read_right() {
        for (label, text) in [
            ("windows-1251", "Ремонт"),
            ("windows-1251", "ОК"),
            ("windows-1250", "gąsienic"),
            ("windows-1254", "arıza"),
            ("windows-1254", "yapılmış değil"),
            ("shift_jis", "ｾｲﾋﾞ"),
            ("windows-1252", "« »"),
            ("windows-1254", "Motor arızası, yedek parça bekleniyor"),
            ("windows-1250", "Wymiana gąsienic, naprawa silnika"),
        ] {
            never_wrong(label, &[text]);
        }
        // With a sentence or two, the one plausible reading is the file's;
        // East Asian text, on a file's worth of it.
        for (label, text) in [
            ("shift_jis", "点検済み、部品待ち：油圧ポンプ"),
            ("euc-kr", "엔진 점검 완료, 궤도 교체 예정"),
            ("gbk", "发动机检修完毕，等待零件"),
            ("big5", "引擎檢修完畢，等待零件"),
        ] {
            never_wrong(label, &[text]);
            let lines: Vec<String> = (0..20).map(|i| format!("{text} {i}")).collect();
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            assert!(never_wrong(label, &lines), "{label}: {text} × 20");
        }
        for (label, text) in [
            ("windows-1251", "Ремонт ходовой части, замена катков"),
            ("windows-1250", "Wymiana gąsienic, część zamienna w drodze"),
            (
                "windows-1254",
                "Motor arızası, yedek parça bekleniyor, değiştirilmeli",
            ),
            ("windows-1253", "Επισκευή κινητήρα, αναμονή ανταλλακτικών"),
            (
                "windows-1252",
                "révision « annuelle » faite, pièces à commander",
            ),
        ] {
            assert!(never_wrong(label, &[text]), "{label}: {text}");
        }
    }

    #[test]
    fn a_utf8_file_with_one_windows_byte_is_named_as_such() {
        let ev = Evidence::of(&["fällig".as_bytes(), b"it\x92s", "Übung".as_bytes()]);
        assert_eq!(ev.almost_utf8(), Some((2, 0x92)));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Words a depot writes in its remarks, per code page and language.
    const WORDS: [(&str, &[&str]); 13] = [
        (
            "windows-1252",
            &[
                "révision",
                "pièces",
                "à",
                "commander",
                "dépôt",
                "fällig",
                "Übung",
                "Straße",
                "reparación",
                "peças",
                "«",
                "»",
                "ok",
            ],
        ),
        (
            "windows-1250",
            &[
                "gąsienic",
                "część",
                "naprawa",
                "silnika",
                "wymiana",
                "łożysko",
                "zmęczenie",
                "ok",
            ],
        ),
        (
            "windows-1250",
            &[
                "oprava",
                "čerpadla",
                "převodovka",
                "kontrola",
                "opravený",
                "točí",
                "ok",
            ],
        ),
        (
            "windows-1250",
            &[
                "javítás",
                "motor",
                "lánctalp",
                "csere",
                "ellenőrzés",
                "kész",
                "hiány",
            ],
        ),
        (
            "windows-1250",
            &[
                "reparaţie",
                "motor",
                "şenilă",
                "înlocuire",
                "verificat",
                "ok",
            ],
        ),
        (
            "windows-1251",
            &[
                "Ремонт",
                "ОК",
                "ходовой",
                "части",
                "замена",
                "катков",
                "двигатель",
                "проверка",
                "норма",
                "ТО",
            ],
        ),
        (
            "windows-1251",
            &[
                "ремонт",
                "двигун",
                "гусениця",
                "заміна",
                "перевірка",
                "їде",
                "є",
            ],
        ),
        (
            "windows-1253",
            &[
                "Επισκευή",
                "κινητήρα",
                "αναμονή",
                "ανταλλακτικών",
                "έλεγχος",
                "ΟΚ",
            ],
        ),
        (
            "windows-1254",
            &[
                "arıza",
                "değil",
                "yedek",
                "parça",
                "bekleniyor",
                "bakım",
                "yapılmış",
                "şanzıman",
            ],
        ),
        (
            "windows-1257",
            &[
                "remontas",
                "variklio",
                "keitimas",
                "patikrinta",
                "vikšras",
                "remonts",
                "dzinēja",
                "pārbaude",
            ],
        ),
        (
            "shift_jis",
            &[
                "点検済み",
                "部品待ち",
                "油圧ポンプ",
                "ｾｲﾋﾞ",
                "ﾁｪｯｸ",
                "エンジン",
                "交換",
            ],
        ),
        (
            "euc-kr",
            &["엔진", "점검", "완료", "궤도", "교체", "예정", "정비"],
        ),
        ("gbk", &["发动机", "检修", "完毕", "等待", "零件", "履带"]),
    ];

    fn remarks() -> impl Strategy<Value = (usize, Vec<String>)> {
        (0..WORDS.len()).prop_flat_map(|i| {
            let words = WORDS[i].1;
            let remark = proptest::collection::vec(proptest::sample::select(words), 1..4)
                .prop_map(|w| w.join(" "));
            (Just(i), proptest::collection::vec(remark, 1..6))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// A file of a few short remarks is read right, or asked about with
        /// the right reading among those shown — never read wrong.
        #[test]
        fn short_remarks_are_never_read_wrong((i, remarks) in remarks()) {
            let label = WORDS[i].0;
            let want = Encoding::for_label(label.as_bytes()).unwrap();
            let bytes: Vec<Vec<u8>> = remarks.iter().map(|r| want.encode(r).0.into_owned()).collect();
            match super::tests::judge_lines(&bytes) {
                Judgement::One(e) => {
                    for (b, r) in bytes.iter().zip(&remarks) {
                        prop_assert_eq!(&e.decode_without_bom_handling(b).0, r, "read as {}", e.name());
                    }
                }
                Judgement::Several { readings, .. } => {
                    prop_assert!(
                        readings.iter().take(SHOWN).any(|r| r.lines.iter().zip(&remarks).all(|(l, r)| l == r)),
                        "the right reading is not among those shown: {:?}",
                        readings.iter().map(|r| r.lines.clone()).collect::<Vec<_>>()
                    );
                }
                Judgement::Nothing { readings, .. } => {
                    prop_assert!(false, "nothing plausible: {:?}", readings.iter().map(|r| (r.encodings[0].name(), r.lines.clone())).collect::<Vec<_>>());
                }
            }
        }
    }
}
