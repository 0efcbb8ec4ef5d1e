//! Argon2id cost parameters (the one parameter type of the workspace) and
//! the cost budget a reader of stored parameters applies.

use crate::error::{Error, PhcPart, Result};

/// Argon2id (version 0x13) cost parameters: memory `m` (KiB), passes `t`,
/// lanes `p`. The one Argon2 parameter type of keyward: PIN hashes, account
/// password slots, the repository Master Password and card PINs all use it
/// (`keyward_superpin::Argon2Params` is this type).
///
/// The default is the OWASP Password Storage Cheat Sheet's first Argon2id
/// configuration: m = 19456 KiB (19 MiB), t = 2, p = 1.
///
/// The fields are public so that records and tests can state parameters
/// literally; nothing trusts them unchecked: [`Params::new`] and
/// [`Params::validate`] apply Argon2's own rules, every Argon2 run checks
/// them again, and parameters read from a record or PHC string are bounded by
/// a [`Limits`] budget before any work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Params {
    /// Memory in KiB (at least 8·p).
    pub m_cost_kib: u32,
    /// Passes over memory (at least 1).
    pub t_cost: u32,
    /// Lanes (1 to 2^24 − 1).
    pub p_cost: u32,
}

impl Params {
    /// OWASP defaults: m = 19456 KiB, t = 2, p = 1.
    pub const OWASP: Self = Self {
        m_cost_kib: 19_456,
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
    pub const fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self> {
        let params = Self {
            m_cost_kib: m_cost,
            t_cost,
            p_cost,
        };
        match params.check() {
            Ok(()) => Ok(params),
            Err(e) => Err(e),
        }
    }

    /// Checks the parameters as read from a record: Argon2's own rules (as
    /// [`Params::new`]) and the default cost budget [`Limits::DEFAULT`], so
    /// a forged record cannot make its reader run Argon2 without bound.
    ///
    /// # Errors
    /// [`Error::CostOutOfRange`] naming the parameter;
    /// [`Error::CostOverBudget`] with the budget and the cost found.
    pub const fn validate(&self) -> Result<()> {
        match self.check() {
            Ok(()) => Limits::DEFAULT.check(self),
            Err(e) => Err(e),
        }
    }

    /// Argon2's own rules.
    const fn check(&self) -> Result<()> {
        let (m_cost, t_cost, p_cost) = (self.m_cost_kib, self.t_cost, self.p_cost);
        if p_cost < 1 || p_cost > Self::MAX_P_COST {
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
        Ok(())
    }

    /// Memory cost in KiB (the field `m_cost_kib`).
    pub const fn m_cost(&self) -> u32 {
        self.m_cost_kib
    }

    /// Time cost (passes over memory).
    pub const fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Parallelism (lanes).
    pub const fn p_cost(&self) -> u32 {
        self.p_cost
    }

    /// The work these parameters cost, the quantity a [`Limits`] budget
    /// bounds: memory × passes, in KiB·passes.
    pub const fn work(&self) -> u64 {
        // Widening casts (u32 → u64); the product of two u32 fits in u64.
        (self.m_cost_kib as u64) * (self.t_cost as u64)
    }

    /// Number of 1 KiB [`crate::Block`]s Argon2 needs for these parameters
    /// (`m` rounded down to a multiple of 4·p): the size of the memory to pass
    /// to the `*_with_memory` functions and to [`crate::argon2id`]. 0 for
    /// parameters Argon2 refuses.
    pub fn block_count(&self) -> usize {
        self.to_argon2().map_or(0, |p| p.block_count())
    }

    /// Whether `self` is weaker than `current`: less memory or fewer passes.
    /// (A different parallelism alone is not weaker.)
    pub const fn is_weaker_than(&self, current: &Self) -> bool {
        self.m_cost_kib < current.m_cost_kib || self.t_cost < current.t_cost
    }

    pub(crate) fn to_argon2(self) -> Result<argon2::Params> {
        Ok(argon2::Params::new(
            self.m_cost_kib,
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

/// The largest Argon2 cost a reader accepts from a stored PHC string or
/// record: a budget on memory × passes, and a lane limit.
///
/// Stored parameters choose the memory and time their verification takes;
/// bounding memory and passes separately would still admit the product of
/// the two bounds (1 GiB × 64 passes is over a minute per attempt). One
/// budget on `m × t` bounds the work, and, since `t ≥ 1`, the memory too.
/// Parameters over it fail with [`Error::CostOverBudget`] before any
/// memory is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest memory × passes in KiB·passes (default 2^20: 1 GiB for one
    /// pass, 64 MiB for 16 passes; OWASP's 19456 KiB × 2 is 38,912).
    pub max_work: u64,
    /// Largest parallelism (default 16).
    pub max_p_cost: u32,
}

impl Limits {
    /// 2^20 KiB·passes (1 GiB·pass), 16 lanes.
    pub const DEFAULT: Self = Self {
        max_work: 1 << 20,
        max_p_cost: 16,
    };

    /// Checks `params` against the limits.
    ///
    /// # Errors
    /// [`Error::CostOverBudget`] with the budget and `m × t` found;
    /// [`Error::CostOutOfRange`] for too many lanes.
    pub const fn check(&self, params: &Params) -> Result<()> {
        let found = params.work();
        if found > self.max_work {
            return Err(Error::CostOverBudget {
                budget: self.max_work,
                found,
            });
        }
        if params.p_cost > self.max_p_cost {
            return Err(Error::CostOutOfRange {
                part: PhcPart::Parallelism,
                min: 1,
                max: self.max_p_cost,
                found: params.p_cost,
            });
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
