//! Incremental recovery: shares are added one at a time, as cards are read.

use alloc::vec::Vec;
use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{LevelError, MasterSecret, Share, decrypt, recover_level};
use crate::error::{Error, Field, Result};
use crate::raw::ShareRef;

/// Progress of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupProgress {
    /// The group index (0-based, as on the share).
    pub group_index: u8,
    /// Member shares needed.
    pub member_threshold: u8,
    /// Distinct member shares accepted so far.
    pub members: u8,
}

impl GroupProgress {
    /// Member shares still needed (0 when the group is complete).
    pub fn still_needed(&self) -> u8 {
        self.member_threshold.saturating_sub(self.members)
    }
    /// Whether the group has enough member shares.
    pub fn is_complete(&self) -> bool {
        self.members >= self.member_threshold
    }
}

/// Progress of a recovery.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress {
    /// Groups needed (0 before the first share).
    pub group_threshold: u8,
    /// Groups in the set (0 before the first share).
    pub group_count: u8,
    /// The groups seen so far, by group index.
    pub groups: Vec<GroupProgress>,
}

impl Progress {
    /// Groups with enough member shares.
    pub fn groups_complete(&self) -> u8 {
        u8::try_from(self.groups.iter().filter(|g| g.is_complete()).count()).unwrap_or(u8::MAX)
    }
    /// Whether enough shares are in to recover the secret.
    pub fn is_complete(&self) -> bool {
        self.group_threshold > 0 && self.groups_complete() >= self.group_threshold
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group_threshold == 0 {
            return f.write_str("no shares yet");
        }
        write!(
            f,
            "{} of {} groups complete",
            self.groups_complete(),
            self.group_threshold
        )?;
        for g in &self.groups {
            write!(
                f,
                "; group {}: {} of {} shares",
                u16::from(g.group_index) + 1,
                g.members,
                g.member_threshold
            )?;
        }
        Ok(())
    }
}

struct Entry {
    /// 1-based number of the `add_*` call that brought the share.
    number: usize,
    share: Share,
}

/// An incremental SLIP-0039 recovery.
///
/// Each `add_*` call counts as one share for numbering in errors (the first
/// call is share 1), whether it is accepted or not. A rejected share leaves
/// the recovery as it was: the ceremony can go on with another card.
pub struct Recovery {
    entries: Vec<Entry>,
    offered: usize,
    max_iteration_exponent: u8,
}

impl Default for Recovery {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            offered: 0,
            max_iteration_exponent: super::DEFAULT_MAX_ITERATION_EXPONENT,
        }
    }
}

impl fmt::Debug for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Recovery {{ shares: {}, {} }}",
            self.entries.len(),
            self.progress()
        )
    }
}

impl Recovery {
    /// An empty recovery.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same recovery with another cap on the shares' iteration exponent
    /// (default [`super::DEFAULT_MAX_ITERATION_EXPONENT`]; at most 15, the
    /// largest the format encodes). A share above the cap is refused when it
    /// is added, before any PBKDF2 runs: each step of the exponent doubles
    /// the work of [`Recovery::finish`], and whoever hands over the shares
    /// chooses it.
    #[must_use]
    pub fn with_max_iteration_exponent(mut self, max: u8) -> Self {
        self.max_iteration_exponent = max;
        self
    }

    /// The cap on the shares' iteration exponent.
    pub fn max_iteration_exponent(&self) -> u8 {
        self.max_iteration_exponent
    }

    /// The number the next share will have in errors.
    pub fn next_number(&self) -> usize {
        self.offered + 1
    }

    /// Adds a share given as a mnemonic.
    ///
    /// # Errors
    /// Parsing errors of [`Share::from_mnemonic`], then as [`Recovery::add`].
    pub fn add_mnemonic(&mut self, mnemonic: &str) -> Result<Progress> {
        self.offered += 1;
        let share = Share::from_mnemonic(mnemonic, self.offered)?;
        self.insert(share)
    }

    /// Adds a share in its packed bytes form.
    ///
    /// # Errors
    /// Parsing errors of [`Share::from_bytes`], then as [`Recovery::add`].
    pub fn add_bytes(&mut self, bytes: &[u8]) -> Result<Progress> {
        self.offered += 1;
        let share = Share::from_bytes(bytes, self.offered)?;
        self.insert(share)
    }

    /// Adds a parsed share.
    ///
    /// # Errors
    /// [`Error::IterationExponentTooHigh`] for a share above the cap;
    /// [`Error::ForeignShare`] naming the field that differs from the first
    /// share's (or, for the member threshold, from the group's);
    /// [`Error::DuplicateShare`] for the same share again;
    /// [`Error::ConflictingShares`] for a different share with the same group
    /// and member index.
    pub fn add(&mut self, share: Share) -> Result<Progress> {
        self.offered += 1;
        self.insert(share)
    }

    fn insert(&mut self, share: Share) -> Result<Progress> {
        let number = self.offered;
        if share.iteration_exponent > self.max_iteration_exponent {
            return Err(Error::IterationExponentTooHigh {
                share: number,
                found: share.iteration_exponent,
                max: self.max_iteration_exponent,
            });
        }
        if let Some(first) = self.entries.first() {
            let f = &first.share;
            let field = if share.identifier != f.identifier {
                Some(Field::Identifier)
            } else if share.extendable != f.extendable {
                Some(Field::Extendable)
            } else if share.iteration_exponent != f.iteration_exponent {
                Some(Field::IterationExponent)
            } else if share.group_threshold != f.group_threshold {
                Some(Field::GroupThreshold)
            } else if share.group_count != f.group_count {
                Some(Field::GroupCount)
            } else if share.value.len() != f.value.len() {
                Some(Field::Length)
            } else {
                None
            };
            if let Some(field) = field {
                return Err(Error::ForeignShare {
                    share: number,
                    field,
                });
            }
        }
        for e in self
            .entries
            .iter()
            .filter(|e| e.share.group_index == share.group_index)
        {
            if e.share.member_threshold != share.member_threshold {
                return Err(Error::ForeignShare {
                    share: number,
                    field: Field::MemberThreshold,
                });
            }
            if e.share.member_index == share.member_index {
                let same: bool = e
                    .share
                    .value
                    .as_slice()
                    .ct_eq(share.value.as_slice())
                    .into();
                return Err(if same {
                    Error::DuplicateShare {
                        share: number,
                        first: e.number,
                    }
                } else {
                    Error::ConflictingShares {
                        share: number,
                        first: e.number,
                        x: share.member_index,
                    }
                });
            }
        }
        self.entries.push(Entry { number, share });
        Ok(self.progress())
    }

    /// Progress so far.
    pub fn progress(&self) -> Progress {
        let Some(first) = self.entries.first() else {
            return Progress::default();
        };
        let mut groups: Vec<GroupProgress> = Vec::new();
        for e in &self.entries {
            match groups
                .iter_mut()
                .find(|g| g.group_index == e.share.group_index)
            {
                Some(g) => g.members = g.members.saturating_add(1),
                None => groups.push(GroupProgress {
                    group_index: e.share.group_index,
                    member_threshold: e.share.member_threshold,
                    members: 1,
                }),
            }
        }
        groups.sort_by_key(|g| g.group_index);
        Progress {
            group_threshold: first.share.group_threshold,
            group_count: first.share.group_count,
            groups,
        }
    }

    /// Whether enough shares are in.
    pub fn is_complete(&self) -> bool {
        self.progress().is_complete()
    }

    /// Recovers the encrypted master secret, checking every share given:
    /// shares beyond a threshold must lie on the same polynomial.
    ///
    /// Returns the EMS with the identifier, extendable flag and iteration
    /// exponent needed to decrypt it.
    ///
    /// # Errors
    /// [`Error::InsufficientGroups`], [`Error::InsufficientMembers`],
    /// [`Error::Digest`], [`Error::ShareOffPolynomial`] (naming the share),
    /// [`Error::InconsistentShares`].
    pub fn finish_ems(&self) -> Result<(Zeroizing<Vec<u8>>, u16, bool, u8)> {
        let progress = self.progress();
        let Some(first) = self.entries.first() else {
            return Err(Error::InsufficientGroups {
                needed: 1,
                complete: 0,
            });
        };
        let gt = first.share.group_threshold;
        if !progress.is_complete() {
            let present = progress.groups.len();
            let incomplete = progress.groups.iter().find(|g| !g.is_complete());
            return Err(match incomplete {
                Some(g) if present >= usize::from(gt) => Error::InsufficientMembers {
                    group: g.group_index,
                    needed: usize::from(g.member_threshold),
                    found: usize::from(g.members),
                },
                _ => Error::InsufficientGroups {
                    needed: usize::from(gt),
                    complete: usize::from(progress.groups_complete()),
                },
            });
        }
        // Member level, per complete group.
        let mut group_values: Vec<(u8, Zeroizing<Vec<u8>>, Vec<usize>)> = Vec::new();
        for g in progress.groups.iter().filter(|g| g.is_complete()) {
            let members: Vec<&Entry> = self
                .entries
                .iter()
                .filter(|e| e.share.group_index == g.group_index)
                .collect();
            let points: Vec<ShareRef<'_>> = members
                .iter()
                .map(|e| ShareRef {
                    x: e.share.member_index,
                    y: &e.share.value,
                })
                .collect();
            let value = recover_level(g.member_threshold, &points).map_err(|err| match err {
                LevelError::Digest => Error::Digest {
                    group: Some(g.group_index),
                },
                LevelError::Off(i) => Error::ShareOffPolynomial {
                    share: members.get(i).map_or(0, |e| e.number),
                },
                LevelError::Inconsistent => Error::InconsistentShares {
                    found: members.len(),
                },
            })?;
            group_values.push((
                g.group_index,
                value,
                members.iter().map(|e| e.number).collect(),
            ));
        }
        // Group level.
        let points: Vec<ShareRef<'_>> = group_values
            .iter()
            .map(|(gi, v, _)| ShareRef { x: *gi, y: v })
            .collect();
        let ems = recover_level(gt, &points).map_err(|err| match err {
            LevelError::Digest => Error::Digest { group: None },
            // A whole group is off: name its first share.
            LevelError::Off(i) => Error::ShareOffPolynomial {
                share: group_values
                    .get(i)
                    .and_then(|(_, _, n)| n.first().copied())
                    .unwrap_or(0),
            },
            LevelError::Inconsistent => Error::InconsistentShares {
                found: self.entries.len(),
            },
        })?;
        Ok((
            ems,
            first.share.identifier,
            first.share.extendable,
            first.share.iteration_exponent,
        ))
    }

    /// Recovers and decrypts the master secret with the passphrase (empty if
    /// none was used; a wrong passphrase gives a different secret, as the
    /// standard intends).
    ///
    /// # Errors
    /// As [`Recovery::finish_ems`], plus [`Error::PassphraseCharacter`].
    pub fn finish(&self, passphrase: &[u8]) -> Result<MasterSecret> {
        let (ems, id, ext, e) = self.finish_ems()?;
        decrypt(&ems, passphrase, e, id, ext)
    }
}
