//! The base layer: what every other layer may use and which uses nothing of the crate —
//! civil dates and timestamps, the clock for timings, number formatting, parsing the embedded
//! spec files (`embedded`), and the shared
//! vocabulary (`vocab`) that would otherwise live in one consumer and tie layers together.

pub mod calendar;
pub mod clock;
pub mod embedded;
pub mod format;
pub mod sql_text;
pub mod vocab;
