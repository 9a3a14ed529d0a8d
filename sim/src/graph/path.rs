//! JSON paths (`$.tasks.main[3].try[0].sleep`) for error messages.
//!
//! While walking the tree, the validator keeps the current path as a chain of values on its
//! own stack ([`JsonPath`]): descending costs nothing, and the text is built only when an
//! error needs it.

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
        render_segments(self.segments().into_iter())
    }
}

/// Renders segments, outermost first, as a path starting with `$`. Keys that are plain
/// identifiers are written `.key`; any other key is written as a quoted JSON string in
/// brackets, `["odd key"]`.
pub(crate) fn render_segments<'s>(segments: impl Iterator<Item = Segment<'s>>) -> String {
    let mut out = String::from("$");
    for segment in segments {
        match segment {
            Segment::Key(key) if is_identifier(key) => {
                out.push('.');
                out.push_str(key);
            }
            Segment::Key(key) => {
                out.push('[');
                out.push_str(&serde_json::to_string(key).unwrap_or_default());
                out.push(']');
            }
            Segment::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
    out
}

fn is_identifier(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}
