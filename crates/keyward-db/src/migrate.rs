//! The migration: `encrypt`, `rekey` and `verify` over a mapped table, in
//! batches, by one or several workers over disjoint id ranges.
//!
//! Resumable by construction: a row's state is its version column, written
//! in the same transaction as its BLOB. `encrypt` selects version 0 rows
//! only and `rekey` rows under an old key only, so a rerun after a kill
//! continues with the rows the last committed batch did not reach, and a
//! row is never sealed twice (each write is also guarded by the version the
//! row was read with). A row that fails is left untouched and reported by
//! id; the keyset cursor moves past it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use keyward_blob::{BlobKind, Header, Keyring, NONCE_LEN, RecordId};
use zeroize::Zeroizing;

use crate::engine::{Connector, Engine, Row, Selection, Update};
use crate::error::{Error, Result};
use crate::mapping::{Field, TableMapping};
use crate::version::Version;

/// What a migration does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Seal plaintext rows (version 0) under the primary key.
    Encrypt {
        /// A fresh random nonce per BLOB (else deterministic sealing).
        nonce: bool,
    },
    /// Re-seal rows under any other held key under the primary key.
    Rekey,
    /// Open every sealed row; write nothing.
    Verify,
}

/// A migration plan.
#[derive(Debug)]
pub struct Plan<'a> {
    /// The table.
    pub mapping: &'a TableMapping,
    /// The keys: the primary seals, the others open.
    pub keyring: &'a Keyring,
    /// The operation.
    pub operation: Operation,
    /// Rows per batch (one transaction each); at least 1.
    pub batch: usize,
    /// Parallel workers over disjoint id ranges; at least 1.
    pub workers: usize,
}

/// A row left untouched, and why (no secret in the reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The row id.
    pub id: i64,
    /// Why it was not migrated or did not verify.
    pub reason: String,
}

/// What a worker reports as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// Before the workers start: the number of rows selected.
    Total(u64),
    /// A batch was committed (or verified): rows read, rows written.
    Batch {
        /// Rows read in the batch.
        read: u64,
        /// Rows written.
        written: u64,
    },
    /// A row failed.
    Failed(&'a Failure),
}

/// The totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows read.
    pub read: u64,
    /// Rows written (sealed or re-sealed).
    pub written: u64,
    /// Rows verified (opened) by `verify`.
    pub verified: u64,
    /// Plaintext rows seen by `verify`.
    pub plaintext: u64,
    /// Rows that failed (each reported by an [`Event::Failed`]).
    pub failed: u64,
    /// Rows changed by another process between read and write (not written
    /// by this run; the other process migrated them).
    pub conflicts: u64,
    /// Batches committed.
    pub batches: u64,
}

impl Summary {
    fn add(&mut self, o: &Self) {
        self.read += o.read;
        self.written += o.written;
        self.verified += o.verified;
        self.plaintext += o.plaintext;
        self.failed += o.failed;
        self.conflicts += o.conflicts;
        self.batches += o.batches;
    }
}

impl Plan<'_> {
    fn selection(&self) -> Result<Selection> {
        let primary = self.keyring.primary().key_id();
        if Version::sealed(primary) == Version::Plaintext {
            return Err(Error::Mapping(
                "the primary key's key id is 00000000, which the version column cannot tell from plaintext".into(),
            ));
        }
        Ok(match self.operation {
            Operation::Encrypt { .. } => Selection::Plaintext,
            Operation::Rekey => {
                let old: Vec<Version> = self
                    .keyring
                    .ids()
                    .as_slice()
                    .iter()
                    .filter(|id| **id != primary)
                    .map(|id| Version::sealed(*id))
                    .filter(|v| *v != Version::Plaintext)
                    .collect();
                if old.is_empty() {
                    return Err(Error::Mapping(
                        "rekey needs at least one old key other than the new one".into(),
                    ));
                }
                Selection::AnyOf(old)
            }
            Operation::Verify => Selection::All,
        })
    }
}

/// Runs `plan` on the database `connector` opens; `on_event` is called from
/// the worker threads after each batch and for each failed row.
///
/// # Errors
/// The first database error of any worker ([`Error::Database`], naming the
/// database and the batch); the other workers stop after their current
/// batch. Rows of committed batches stay migrated; a rerun continues.
pub fn run(
    connector: &dyn Connector,
    plan: &Plan<'_>,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> Result<Summary> {
    let selection = plan.selection()?;
    let mut first = connector.connect(plan.mapping)?;
    let Some((lo, hi)) = first.id_bounds()? else {
        on_event(Event::Total(0));
        return Ok(Summary::default());
    };
    let start = lo.saturating_sub(1);
    on_event(Event::Total(first.count(&selection, start, hi)?));
    let workers = plan.workers.max(1);
    let ranges = split(start, hi, workers);
    let stop = AtomicBool::new(false);
    let results: Vec<Result<Summary>> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        let mut first = Some(first);
        for (after, upto) in ranges {
            let engine = first.take();
            let selection = &selection;
            let stop = &stop;
            handles.push(s.spawn(move || {
                let mut engine = match engine {
                    Some(e) => e,
                    None => connector.connect(plan.mapping)?,
                };
                let r = worker(
                    connector,
                    &mut *engine,
                    plan,
                    selection,
                    after,
                    upto,
                    stop,
                    on_event,
                );
                if r.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                r
            }));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Worker("a worker thread panicked".into())))
            })
            .collect()
    });
    let mut sum = Summary::default();
    for r in results {
        sum.add(&r?);
    }
    Ok(sum)
}

/// Splits `(after, upto]` into `n` contiguous ranges.
fn split(after: i64, upto: i64, n: usize) -> Vec<(i64, i64)> {
    let span = i128::from(upto) - i128::from(after);
    let n_i = i128::try_from(n).unwrap_or(1).max(1);
    let mut out = Vec::new();
    let mut a = i128::from(after);
    for i in 1..=n_i {
        let b = i128::from(after) + span * i / n_i;
        if b > a {
            out.push((
                i64::try_from(a).unwrap_or(i64::MIN),
                i64::try_from(b).unwrap_or(i64::MAX),
            ));
        }
        a = b;
    }
    out
}

/// One worker over `(after, upto]`.
///
/// On an engine whose reads do not lock rows (SQLite), the worker is a
/// pipeline: this thread reads a batch and does its crypto while a second
/// thread, on its own connection, writes the previous batch (the guarded
/// `UPDATE`s keep that correct), so the crypto runs alongside the database's
/// write instead of after it. On an engine whose batch is locked by its read
/// (PostgreSQL's `FOR UPDATE`), reading and writing stay one transaction.
#[allow(clippy::too_many_arguments)]
fn worker(
    connector: &dyn Connector,
    engine: &mut dyn Engine,
    plan: &Plan<'_>,
    selection: &Selection,
    after: i64,
    upto: i64,
    stop: &AtomicBool,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> Result<Summary> {
    let pipelined = !engine.skips_locked() && !matches!(plan.operation, Operation::Verify);
    if !pipelined {
        let mut commit = |e: &mut dyn Engine, ups: Vec<Update>, read: u64| -> Result<Summary> {
            let n = e.commit_batch(&ups)?;
            on_event(Event::Batch { read, written: n });
            Ok(Summary {
                written: n,
                conflicts: ups.len() as u64 - n.min(ups.len() as u64),
                batches: 1,
                ..Summary::default()
            })
        };
        return read_loop(
            engine,
            plan,
            selection,
            after,
            upto,
            stop,
            on_event,
            &mut commit,
        );
    }
    let mut writer = connector.connect(plan.mapping)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<Update>, u64)>(1);
    std::thread::scope(|s| {
        let w = s.spawn(move || -> Result<Summary> {
            let mut sum = Summary::default();
            for (ups, read) in rx {
                let n = match writer.commit_batch(&ups) {
                    Ok(n) => n,
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                };
                on_event(Event::Batch { read, written: n });
                sum.written += n;
                sum.conflicts += ups.len() as u64 - n.min(ups.len() as u64);
                sum.batches += 1;
            }
            Ok(sum)
        });
        let mut commit = |_: &mut dyn Engine, ups: Vec<Update>, read: u64| -> Result<Summary> {
            tx.send((ups, read))
                .map_err(|_| Error::Worker("the writer thread stopped".into()))?;
            Ok(Summary::default())
        };
        let r = read_loop(
            engine,
            plan,
            selection,
            after,
            upto,
            stop,
            on_event,
            &mut commit,
        );
        drop(tx);
        let w = w
            .join()
            .unwrap_or_else(|_| Err(Error::Worker("a writer thread panicked".into())));
        // The writer's error is the cause of a reader's "writer stopped".
        let mut sum = w?;
        sum.add(&r?);
        Ok(sum)
    })
}

type Commit<'c> = dyn FnMut(&mut dyn Engine, Vec<Update>, u64) -> Result<Summary> + 'c;

#[allow(clippy::too_many_arguments)]
fn read_loop(
    engine: &mut dyn Engine,
    plan: &Plan<'_>,
    selection: &Selection,
    after: i64,
    upto: i64,
    stop: &AtomicBool,
    on_event: &(dyn Fn(Event<'_>) + Sync),
    commit: &mut Commit<'_>,
) -> Result<Summary> {
    let batch = plan.batch.max(1);
    let mut sum = Summary::default();
    let mut rows: Vec<Row> = Vec::with_capacity(batch);
    let mut reported: HashSet<i64> = HashSet::new();
    let mut rng = keyward_core::os_rng();
    loop {
        let mut cursor = after;
        let mut pass_written = 0u64;
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(sum);
            }
            engine.begin_batch(selection, cursor, upto, batch, &mut rows)?;
            let Some(last) = rows.last().map(|r| r.id) else {
                engine.rollback()?;
                break;
            };
            cursor = last;
            let mut updates: Vec<Update> = Vec::with_capacity(rows.len());
            let mut b = Summary {
                read: rows.len() as u64,
                ..Summary::default()
            };
            for row in rows.drain(..) {
                match process(plan, row, &mut rng) {
                    Outcome::Write(u) => updates.push(u),
                    Outcome::Verified => b.verified += 1,
                    Outcome::Plaintext => b.plaintext += 1,
                    Outcome::Failed(f) => {
                        if reported.insert(f.id) {
                            b.failed += 1;
                            on_event(Event::Failed(&f));
                        }
                    }
                }
            }
            if matches!(plan.operation, Operation::Verify) {
                engine.rollback()?;
                b.batches = 1;
                on_event(Event::Batch {
                    read: b.read,
                    written: 0,
                });
            } else {
                let c = commit(engine, updates, b.read)?;
                b.add(&c);
            }
            pass_written += b.written;
            sum.add(&b);
            if b.read < batch as u64 {
                break;
            }
        }
        // Rows skipped because another process held them were migrated by
        // it, or are free again if it died: pass again until a pass writes
        // nothing.
        if !engine.skips_locked()
            || pass_written == 0
            || matches!(plan.operation, Operation::Verify)
        {
            return Ok(sum);
        }
    }
}

enum Outcome {
    Write(Update),
    Verified,
    Plaintext,
    Failed(Failure),
}

fn record<'r>(m: &'r TableMapping, row: &'r Row) -> RecordId<'r> {
    let pick = |f: &'r Field, col: &'r [u8]| match f {
        Field::Column(_) => col,
        Field::Constant(c) => c.as_slice(),
    };
    let kind: BlobKind = m.kind;
    RecordId::new(
        kind,
        pick(&m.serial, &row.serial),
        pick(&m.application, &row.application),
    )
    .with_context(&row.context)
}

// The mapping's constants live in the plan; `record` borrows from both.
fn process(plan: &Plan<'_>, row: Row, rng: &mut impl rand_core::CryptoRng) -> Outcome {
    let id = row.id;
    let fail = |reason: String| Outcome::Failed(Failure { id, reason });
    let version = match &row.version {
        Ok(v) => *v,
        Err(e) => return fail(e.clone()),
    };
    let Some(blob) = row.blob.as_ref() else {
        return fail("BLOB is NULL".into());
    };
    let rec = record(plan.mapping, &row);
    let ring = plan.keyring;
    let primary = Version::sealed(ring.primary().key_id());
    match plan.operation {
        Operation::Encrypt { nonce } => {
            let mut n = [0u8; NONCE_LEN];
            let nonce = if nonce {
                rng.fill_bytes(&mut n);
                Some(&n)
            } else {
                None
            };
            let Some(len) = keyward_blob::sealed_len(blob.len(), nonce.is_some()) else {
                return fail("plaintext too long".into());
            };
            let mut buf = Zeroizing::new(vec![0u8; len]);
            match ring.primary().seal_into(&rec, nonce, blob, &mut buf) {
                Ok(_) => Outcome::Write(Update {
                    id,
                    old: Version::Plaintext,
                    new: primary,
                    blob: buf,
                }),
                Err(e) => fail(format!("sealing: {e}")),
            }
        }
        Operation::Rekey | Operation::Verify => {
            if version == Version::Plaintext {
                return if matches!(plan.operation, Operation::Verify) {
                    Outcome::Plaintext
                } else {
                    fail("row is plaintext (version 0): use encrypt".into())
                };
            }
            match Header::parse(blob) {
                Ok(h) if Version::sealed(h.key_id) != version => {
                    return fail(format!(
                        "version column says {version}, the BLOB header says {}",
                        h.key_id
                    ));
                }
                Ok(_) => {}
                Err(e) => return fail(e.to_string()),
            }
            if matches!(plan.operation, Operation::Verify) {
                let mut buf = Zeroizing::new(blob.to_vec());
                return match ring.open_in_place(&rec, &mut buf) {
                    Ok(_) => Outcome::Verified,
                    Err(e) => fail(e.to_string()),
                };
            }
            let mut buf = Zeroizing::new(blob.to_vec());
            match ring.reseal_in_place(&rec, &mut buf) {
                Ok(_) => Outcome::Write(Update {
                    id,
                    old: version,
                    new: primary,
                    blob: buf,
                }),
                Err(e) => fail(e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_exactly() {
        for (a, b, n) in [
            (0, 10, 3),
            (-1, 0, 4),
            (5, 1_000_003, 7),
            (i64::MIN, i64::MAX, 2),
        ] {
            let r = split(a, b, n);
            assert_eq!(r.first().map(|x| x.0), Some(a));
            assert_eq!(r.last().map(|x| x.1), Some(b));
            for w in r.windows(2) {
                assert_eq!(w[0].1, w[1].0);
                assert!(w[0].0 < w[0].1);
            }
            assert!(r.len() <= n);
        }
    }
}
