//! The JSON tree the strict reader produces and the validator walks.

/// A JSON value as read from a scenario document.
///
/// Only what a scenario can contain survives reading: integers are already known to be in
/// the signed 64-bit range, strings to be at most 1024 code points, and objects to have
/// distinct keys, kept in document order.
#[derive(Debug)]
pub(crate) enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer written without fraction or exponent.
    Int(i64),
    /// A string, escapes decoded.
    Str(String),
    /// An array.
    Array(Vec<Json>),
    /// An object: its members in document order, keys distinct.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What kind of JSON value this is, for messages ("an integer", "a list", ...).
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Int(_) => "an integer",
            Json::Str(_) => "a string",
            Json::Array(_) => "a list",
            Json::Object(_) => "an object",
        }
    }
}

/// The value of member `key` of an object, if present.
pub(crate) fn member<'j>(members: &'j [(String, Json)], key: &str) -> Option<&'j Json> {
    members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}
