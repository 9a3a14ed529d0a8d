//! JSON paths (`$.tasks.main[3].try[0].sleep`) for error messages.
//!
//! While walking the tree, the validator keeps the current path as a chain of values on its
//! own stack ([`JsonPath`]): descending costs nothing, and the text is built only when an
//! error needs it.

use super::error::long_text_start;

/// One step of a JSON path: an object key or an array index.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Segment<'a> {
    /// A member of an object.
    Key(&'a str),
    /// An element of an array.
    Index(usize),
}

/// The JSON path of the node being looked at, as a chain of borrowed links back to `$`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum JsonPath<'a> {
    /// The document itself, `$`.
    Root,
    /// A segment below another path.
    Child(&'a JsonPath<'a>, Segment<'a>),
    /// A whole path as its segments from `$`, for walks that keep their own stack of
    /// segments instead of recursing.
    Segments(&'a [Segment<'a>]),
}

impl<'a> JsonPath<'a> {
    /// The path of member `key` of the object at `self`.
    pub(crate) fn key(&'a self, key: &'a str) -> JsonPath<'a> {
        JsonPath::Child(self, Segment::Key(key))
    }

    /// The path of element `index` of the array at `self`.
    pub(crate) fn index(&'a self, index: usize) -> JsonPath<'a> {
        JsonPath::Child(self, Segment::Index(index))
    }

    /// The segments of the path, outermost first.
    pub(crate) fn segments(&self) -> Vec<Segment<'a>> {
        let mut reversed = Vec::new();
        let mut node = self;
        let base: &[Segment<'a>] = loop {
            match node {
                JsonPath::Root => break &[],
                JsonPath::Segments(base) => break base,
                JsonPath::Child(parent, segment) => {
                    reversed.push(*segment);
                    node = parent;
                }
            }
        };
        base.iter()
            .copied()
            .chain(reversed.into_iter().rev())
            .collect()
    }

    /// The path as text.
    pub(crate) fn render(&self) -> String {
        render_segments(&self.segments())
    }
}

/// Paths of more segments than this are shown with their middle left out. Paths of valid
/// nesting (blocks 16 deep, values 9 deep) stay below it.
const MAX_SHOWN_SEGMENTS: usize = 100;
/// How many segments are shown at each end of a path whose middle is left out.
const SHOWN_AT_EACH_END: usize = 40;

/// Renders segments, outermost first, as a path starting with `$`. Keys that are plain
/// identifiers are written `.key`; any other key is written as a quoted JSON string in
/// brackets, `["odd key"]`. A path of more than [`MAX_SHOWN_SEGMENTS`] segments shows the
/// first and last [`SHOWN_AT_EACH_END`] with the number of levels left out between them
/// (`$[0][0]…(921 levels)…[0]`), and a key of more than 100 characters shows its start and
/// its length (`.aaaa…(1024 characters)`).
pub(crate) fn render_segments(segments: &[Segment<'_>]) -> String {
    let mut out = String::from("$");
    if segments.len() > MAX_SHOWN_SEGMENTS {
        let (head, rest) = segments.split_at(SHOWN_AT_EACH_END);
        let (middle, tail) = rest.split_at(rest.len() - SHOWN_AT_EACH_END);
        push_segments(&mut out, head);
        out.push_str(&format!("…({} levels)…", middle.len()));
        push_segments(&mut out, tail);
    } else {
        push_segments(&mut out, segments);
    }
    out
}

/// Appends each segment to a path being rendered.
fn push_segments(out: &mut String, segments: &[Segment<'_>]) {
    for segment in segments {
        match *segment {
            Segment::Key(key) => push_key(out, key),
            Segment::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
}

/// Appends a key segment, shortened when it is longer than any name.
fn push_key(out: &mut String, key: &str) {
    let (shown, rest) = match long_text_start(key) {
        Some(start) => (start, format!("…({} characters)", key.chars().count())),
        None => (key, String::new()),
    };
    if is_identifier(shown) {
        out.push('.');
        out.push_str(shown);
        out.push_str(&rest);
    } else {
        out.push('[');
        out.push_str(&serde_json::to_string(shown).unwrap_or_default());
        out.push_str(&rest);
        out.push(']');
    }
}

fn is_identifier(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}
