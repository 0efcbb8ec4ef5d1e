//! Argon2id cost parameters and the limits a verifier accepts.

use crate::error::{Error, PhcPart, Result};

/// Argon2id cost parameters: memory `m` (KiB), passes `t`, lanes `p`.
///
/// The default is the OWASP Password Storage Cheat Sheet's first Argon2id
/// configuration: m = 19456 KiB (19 MiB), t = 2, p = 1. The tag is always 32
/// bytes and the salt 16 bytes; they are not parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Params {
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
}

impl Params {
    /// OWASP defaults: m = 19456 KiB, t = 2, p = 1.
    pub const OWASP: Self = Self {
        m_cost: 19_456,
        t_cost: 2,
        p_cost: 1,
    };

    /// Largest parallelism Argon2 allows (2^24 − 1).
    pub const MAX_P_COST: u32 = 0x00FF_FFFF;

    /// Checks and takes cost parameters.
    ///
    /// # Errors
    /// [`Error::CostOutOfRange`] naming the parameter when `t` is 0, `p` is
    /// outside 1..=2^24−1, or `m` is below 8·p KiB (Argon2's own limits).
    pub fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self> {
        if !(1..=Self::MAX_P_COST).contains(&p_cost) {
            return Err(Error::CostOutOfRange {
                part: PhcPart::Parallelism,
                min: 1,
                max: Self::MAX_P_COST,
                found: p_cost,
            });
        }
        if t_cost == 0 {
            return Err(Error::CostOutOfRange {
                part: PhcPart::TimeCost,
                min: 1,
                max: u32::MAX,
                found: t_cost,
            });
        }
        // p ≤ 2^24 − 1, so 8·p fits in u32.
        let min_m = p_cost.saturating_mul(8);
        if m_cost < min_m {
            return Err(Error::CostOutOfRange {
                part: PhcPart::MemoryCost,
                min: min_m,
                max: u32::MAX,
                found: m_cost,
            });
        }
        Ok(Self {
            m_cost,
            t_cost,
            p_cost,
        })
    }

    /// Memory cost in KiB.
    pub const fn m_cost(&self) -> u32 {
        self.m_cost
    }

    /// Time cost (passes over memory).
    pub const fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Parallelism (lanes).
    pub const fn p_cost(&self) -> u32 {
        self.p_cost
    }

    /// Number of 1 KiB [`crate::Block`]s Argon2 needs for these parameters
    /// (`m` rounded down to a multiple of 4·p): the size of the memory to pass
    /// to the `*_with_memory` functions.
    pub fn block_count(&self) -> usize {
        self.to_argon2().map_or(0, |p| p.block_count())
    }

    /// Whether `self` is weaker than `current`: less memory or fewer passes.
    /// (A different parallelism alone is not weaker.)
    pub const fn is_weaker_than(&self, current: &Self) -> bool {
        self.m_cost < current.m_cost || self.t_cost < current.t_cost
    }

    pub(crate) fn to_argon2(self) -> Result<argon2::Params> {
        Ok(argon2::Params::new(
            self.m_cost,
            self.t_cost,
            self.p_cost,
            Some(crate::TAG_LEN),
        )?)
    }
}

impl Default for Params {
    fn default() -> Self {
        Self::OWASP
    }
}

/// The largest costs a verifier accepts from a stored PHC string.
///
/// A PHC string chooses the memory and time its verification takes; without
/// limits a corrupted or planted string (`m=4294967295`) would make a verifier
/// try to allocate 4 TiB. Strings over the limits fail with
/// [`Error::CostOutOfRange`] before any work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest memory cost in KiB (default 262144 = 256 MiB).
    pub max_m_cost: u32,
    /// Largest time cost (default 64).
    pub max_t_cost: u32,
    /// Largest parallelism (default 16).
    pub max_p_cost: u32,
}

impl Limits {
    /// 256 MiB, 64 passes, 16 lanes.
    pub const DEFAULT: Self = Self {
        max_m_cost: 262_144,
        max_t_cost: 64,
        max_p_cost: 16,
    };

    /// Checks `params` against the limits.
    ///
    /// # Errors
    /// [`Error::CostOutOfRange`] naming the first parameter over its limit.
    pub fn check(&self, params: &Params) -> Result<()> {
        for (part, found, max) in [
            (PhcPart::MemoryCost, params.m_cost, self.max_m_cost),
            (PhcPart::TimeCost, params.t_cost, self.max_t_cost),
            (PhcPart::Parallelism, params.p_cost, self.max_p_cost),
        ] {
            if found > max {
                let min = match part {
                    PhcPart::MemoryCost => params.p_cost.saturating_mul(8),
                    _ => 1,
                };
                return Err(Error::CostOutOfRange {
                    part,
                    min,
                    max,
                    found,
                });
            }
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
