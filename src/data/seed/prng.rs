//! A small seeded pseudo-random generator (SplitMix64) with keyed sub-streams.
//!
//! Every random draw in the seed comes from a stream derived from the dataset seed and a
//! key such as (job index, day index). Adding jobs or days therefore never changes the
//! values drawn for existing ones, and two builds with the same seed are identical.

/// SplitMix64: tiny, fast, and good enough for synthetic data.
#[derive(Clone, Debug)]
pub struct Prng {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Prng {
    pub fn new(seed: u64) -> Prng {
        Prng { state: seed }
    }

    /// An independent stream for `key` under `seed`.
    pub fn keyed(seed: u64, key: &[u64]) -> Prng {
        let mut state = mix(seed ^ 0x5EED_C0DE_0000_0001);
        for part in key {
            state = mix(state ^ mix(part.wrapping_add(GOLDEN_GAMMA)));
        }
        Prng { state }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [low, high).
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform integer in [low, high] (both included).
    pub fn int_between(&mut self, low: i64, high: i64) -> i64 {
        debug_assert!(low <= high);
        let span = (high - low + 1) as u64;
        low + (self.next_u64() % span) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// `digits` lowercase hex characters.
    pub fn hex(&mut self, digits: usize) -> String {
        let mut out = String::with_capacity(digits);
        while out.len() < digits {
            let word = self.next_u64();
            for shift in (0..16).rev() {
                if out.len() == digits {
                    break;
                }
                let nibble = ((word >> (shift * 4)) & 0xF) as u32;
                out.push(char::from_digit(nibble, 16).expect("nibble < 16"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_stream_different_key_different_stream() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Prng::keyed(7, &[1, 2]);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Prng::keyed(7, &[1, 2]);
                move |_| r.next_u64()
            })
            .collect();
        let c = Prng::keyed(7, &[2, 1]).next_u64();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut r = Prng::new(42);
        for _ in 0..10_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            let b = r.between(0.85, 1.15);
            assert!((0.85..1.15).contains(&b));
            let i = r.int_between(3, 5);
            assert!((3..=5).contains(&i));
        }
        assert_eq!(r.hex(12).len(), 12);
    }
}
