//! The [`Schedule`]: everything needed to reproduce a run's choices, as one JSON object.
//!
//! ```json
//! {"policy":"random","seed":7,"level":2,"depth":3,"inject_cancels":1,"steps_hint":100,
//!  "decisions":"i2*3 p3=2 i3*4 i3=2 p2 s3=1 s2"}
//! ```
//!
//! `decisions` is compact text: one token per decision, separated by spaces. A token is the
//! kind's letter ([`ChoiceKind::code`]), the number of options, `=chosen` unless the option is
//! 0, and `*n` when the same decision repeats `n` times in a row. `p3=2` is "pick among 3,
//! took option 2"; `i3*4` is four inject points with 2 pending tasks where nothing was
//! injected. Kinds and option counts stay in the text so that a replay can tell where a run
//! leaves the record.

use aiosim::Level;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ChoiceKind, Decision};

/// The scheduling policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// CPython's order (level 0).
    Fifo,
    /// Uniformly random choices from a seeded ChaCha8 generator.
    Random,
    /// Probabilistic concurrency testing with bug depth `depth` (Burckhardt et al. 2010).
    Pct,
    /// Partial-order sampling (Yuan et al. 2018).
    Pos,
    /// One run of a bounded enumeration: `decisions` is the prefix, option 0 after it.
    Exhaustive,
    /// A recorded decision list.
    Replay,
}

/// A run's scheduling, reproducible on any machine: the same schedule makes the same
/// decisions (no hash-map order, addresses or clocks are involved).
///
/// In JSON, `policy`, `seed`, `level` and `decisions` are required (a replay follows the
/// decisions at the level); `depth`, `inject_cancels` and `steps_hint` only steer the seeded
/// policies and take their defaults when absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Schedule {
    /// The policy that makes the choices.
    pub policy: PolicyKind,
    /// Seed of the seeded policies and of cancellation injection.
    #[serde(deserialize_with = "whole::deserialize")]
    pub seed: u64,
    /// Which choices are offered (semantics 4.2–4.4); written as 1, 2 or 3. `Fifo` ignores it.
    #[serde(with = "level_number")]
    pub level: Level,
    /// PCT's bug depth `d`: `d − 1` priority change points.
    #[serde(default = "defaults::depth", deserialize_with = "whole::deserialize")]
    pub depth: u32,
    /// How many cancellations to inject at most (0: none).
    #[serde(
        default = "defaults::inject_cancels",
        deserialize_with = "whole::deserialize"
    )]
    pub inject_cancels: u32,
    /// Estimated run length: PCT places its change points among the first `steps_hint` picks,
    /// injection its cancellations among the first `steps_hint` handles.
    #[serde(
        default = "defaults::steps_hint",
        deserialize_with = "whole::deserialize"
    )]
    pub steps_hint: u64,
    /// The decisions to follow (`Replay`, `Exhaustive`), or those a run made.
    #[serde(with = "compact")]
    pub decisions: Vec<Decision>,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            policy: PolicyKind::Fifo,
            seed: 0,
            level: Level::Interleave,
            depth: 3,
            inject_cancels: 0,
            steps_hint: 100,
            decisions: Vec::new(),
        }
    }
}

impl Schedule {
    /// A schedule of `policy` with `seed` at `level`; other fields take their defaults
    /// (depth 3, no injection, steps hint 100, no decisions).
    pub fn new(policy: PolicyKind, seed: u64, level: Level) -> Schedule {
        Schedule {
            policy,
            seed,
            level,
            ..Schedule::default()
        }
    }

    /// The schedule that replays `decisions` at the level this schedule ran at (seed and
    /// options are kept for the record; replay does not draw from the seed).
    pub fn replaying(&self, decisions: Vec<Decision>) -> Schedule {
        Schedule {
            policy: PolicyKind::Replay,
            level: self.run_level(),
            decisions,
            ..self.clone()
        }
    }

    /// The level the scheduler runs at: `level`, or 0 for `Fifo`.
    pub(crate) fn run_level(&self) -> Level {
        match self.policy {
            PolicyKind::Fifo => Level::Fifo,
            _ => self.level,
        }
    }
}

/// At most this many decisions are read from text (a bound on what a `*n` may allocate).
const MAX_DECODED: usize = 1 << 24;

/// The compact text of a decision list (see the module documentation).
pub fn encode_decisions(decisions: &[Decision]) -> String {
    let mut out = String::new();
    let mut rest = decisions;
    while let Some((first, _)) = rest.split_first() {
        let run = rest.iter().take_while(|d| *d == first).count();
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&first.to_string());
        if run > 1 {
            out.push_str(&format!("*{run}"));
        }
        rest = &rest[run..];
    }
    out
}

/// Reads the compact text of a decision list.
pub fn decode_decisions(text: &str) -> Result<Vec<Decision>, String> {
    let mut out = Vec::new();
    for token in text.split_whitespace() {
        let (decision, run) = decode_token(token).map_err(|e| format!("{token:?}: {e}"))?;
        if run > MAX_DECODED - out.len() {
            return Err(format!("more than {MAX_DECODED} decisions"));
        }
        out.extend(std::iter::repeat_n(decision, run));
    }
    Ok(out)
}

fn decode_token(token: &str) -> Result<(Decision, usize), String> {
    let mut chars = token.chars();
    let code = chars.next().ok_or("empty token")?;
    let kind = ChoiceKind::from_code(code).ok_or("unknown kind letter")?;
    let rest = chars.as_str();
    let (rest, run) = match rest.split_once('*') {
        Some((rest, run)) => (rest, number(run)?),
        None => (rest, 1),
    };
    let (options, chosen) = match rest.split_once('=') {
        Some((options, chosen)) => (number(options)?, number(chosen)?),
        None => (number(rest)?, 0),
    };
    if options < 2 || chosen >= options || run == 0 {
        return Err("needs options >= 2, chosen < options and a repeat count >= 1".into());
    }
    let decision = Decision {
        kind,
        options: u32::try_from(options).map_err(|_| "too many options")?,
        chosen: u32::try_from(chosen).map_err(|_| "option out of range")?,
    };
    Ok((decision, run))
}

fn number(digits: &str) -> Result<usize, String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{digits:?} is not a number"));
    }
    digits.parse().map_err(|_| format!("{digits} is too large"))
}

/// `decisions` as compact text in JSON.
mod compact {
    use super::*;

    pub fn serialize<S: Serializer>(decisions: &[Decision], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode_decisions(decisions))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Decision>, D::Error> {
        let text = String::deserialize(d)?;
        decode_decisions(&text).map_err(serde::de::Error::custom)
    }
}

/// The values of the optional fields when a schedule's JSON leaves them out: those of
/// [`Schedule::default`].
mod defaults {
    use super::Schedule;

    pub fn depth() -> u32 {
        Schedule::default().depth
    }

    pub fn inject_cancels() -> u32 {
        Schedule::default().inject_cancels
    }

    pub fn steps_hint() -> u64 {
        Schedule::default().steps_hint
    }
}

/// Whole numbers read from JSON. An integer beyond every integer type is reported as an
/// integer out of range, not as the floating-point number a JSON reader turns it into.
pub(crate) mod whole {
    use serde::de::{Error, IntoDeserializer};
    use serde::{Deserialize, Deserializer};
    use serde_json::Number;

    /// Reads a whole number of type `T`; a number out of `T`'s range (negative included) is an
    /// error that names the number and `T`.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        let n = Number::deserialize(d)?;
        if let Some(u) = n.as_u64() {
            return T::deserialize(u.into_deserializer());
        }
        if let Some(i) = n.as_i64() {
            return T::deserialize(i.into_deserializer());
        }
        let text = n.to_string();
        let digits = text.strip_prefix('-').unwrap_or(&text);
        let integer = digits.bytes().all(|b| b.is_ascii_digit());
        match n.as_f64() {
            Some(f) if !integer => T::deserialize(f.into_deserializer()),
            _ => Err(D::Error::custom(format!(
                "invalid value: {} `{text}` out of range, expected {}",
                if integer { "integer" } else { "number" },
                std::any::type_name::<T>()
            ))),
        }
    }
}

/// A [`Level`] as its number, 0 to 3.
mod level_number {
    use super::*;

    pub fn serialize<S: Serializer>(level: &Level, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*level as u8)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Level, D::Error> {
        match whole::deserialize::<D, u8>(d)? {
            0 => Ok(Level::Fifo),
            1 => Ok(Level::Ties),
            2 => Ok(Level::Interleave),
            3 => Ok(Level::Timing),
            n => Err(serde::de::Error::custom(format!("level {n} is not 0 to 3"))),
        }
    }
}
