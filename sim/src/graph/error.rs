//! The error every rejected document produces: what is wrong, and where.

use std::fmt;

/// Where a problem was found in a scenario document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A position in the text, for problems the JSON syntax itself reports (and the byte
    /// order mark). Line and column both count from 1; the column counts bytes.
    Text {
        /// Line number, from 1.
        line: usize,
        /// Column number (in bytes), from 1.
        column: usize,
    },
    /// A JSON path such as `$.tasks.main[3].try[0].sleep`. `position` is the text position
    /// where the reader noticed the problem, when the problem was found while reading
    /// (duplicate keys, numbers, strings, nesting); the validator works on the parsed tree and
    /// leaves it empty.
    Path {
        /// The JSON path, starting with `$`. A path of more than 100 levels shows its first
        /// and last 40 and the number left out between them (`…(920 levels)…`).
        path: String,
        /// `(line, column)` of the reader when it noticed the problem, if known.
        position: Option<(usize, usize)>,
    },
}

/// Why a document is not a valid `aiosim-graph/1` scenario (graph-format 2.1–2.7).
///
/// `Display` gives the location first, then the problem, for example
/// `$.tasks.main[3].try[0].sleep: duration 1000000000001 exceeds 10^12`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    location: Location,
    message: String,
}

impl GraphError {
    /// A problem located by its position in the text.
    pub(crate) fn at_text(line: usize, column: usize, message: impl Into<String>) -> Self {
        GraphError {
            location: Location::Text { line, column },
            message: message.into(),
        }
    }

    /// A problem located by a JSON path (and, when known, the reader's text position).
    pub(crate) fn at_path(
        path: String,
        position: Option<(usize, usize)>,
        message: impl Into<String>,
    ) -> Self {
        GraphError {
            location: Location::Path { path, position },
            message: message.into(),
        }
    }

    /// Where the problem is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// What the problem is, without its location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Text { line, column } => write!(f, "line {line}, column {column}")?,
            Location::Path { path, position } => {
                f.write_str(path)?;
                if let Some((line, column)) = position {
                    write!(f, " (line {line}, column {column})")?;
                }
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for GraphError {}

/// Texts of more characters than this are not echoed whole in messages (names have at most
/// 64).
const MAX_ECHOED_CHARS: usize = 100;
/// How many characters of a longer text a message echoes.
const ECHOED_CHARS: usize = 40;

/// The start of a text too long to echo whole in a message: its first 40 characters when it
/// has more than 100; `None` for a text short enough to echo whole.
pub(crate) fn long_text_start(text: &str) -> Option<&str> {
    if text.len() <= MAX_ECHOED_CHARS || text.chars().count() <= MAX_ECHOED_CHARS {
        return None;
    }
    text.char_indices()
        .nth(ECHOED_CHARS)
        .map(|(end, _)| &text[..end])
}

/// A key or string quoted for a message: whole when short, else the quoted start and the
/// length (`"aaaa"…(1000 characters)`).
pub(crate) fn quoted(text: &str) -> String {
    match long_text_start(text) {
        Some(start) => format!("{start:?}…({} characters)", text.chars().count()),
        None => format!("{text:?}"),
    }
}
