//! The deterministic seeded dataset: the cast (`cast`), the planted scenarios
//! (`scenarios`), a seeded PRNG (`prng`) and the generator that writes it all (`generator`).

pub mod cast;
pub mod generator;
pub mod prng;
pub mod scenarios;

pub use generator::{generate, write_database, write_lean_database, SeedConfig, SeedError, SeedStats};
