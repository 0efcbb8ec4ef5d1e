//! Test-only global allocator that inspects large blocks as they are freed.
//!
//! See the README: never a dependency of a library or binary.

#![no_std]

extern crate std;

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::alloc::System;
use std::sync::{Mutex, PoisonError};

/// The system allocator, inspecting every freed block of at least the
/// size given to [`watch`] while a watch runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct InspectingAlloc;

static WATCHING: AtomicBool = AtomicBool::new(false);
static MIN_SIZE: AtomicUsize = AtomicUsize::new(usize::MAX);
static BLOCKS: AtomicUsize = AtomicUsize::new(0);
static DIRTY_BLOCKS: AtomicUsize = AtomicUsize::new(0);
static DIRTY_BYTES: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);
static LOCK: Mutex<()> = Mutex::new(());

/// What [`watch`] saw freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Freed {
    /// Blocks of at least the watched size freed during the watch.
    pub blocks: usize,
    /// Of those, blocks holding at least one non-zero byte when freed.
    pub dirty_blocks: usize,
    /// Non-zero bytes found in all of them together.
    pub dirty_bytes: usize,
    /// Size in bytes of the largest block freed during the watch.
    pub largest: usize,
}

/// Runs `f`, inspecting every block of at least `min_size` bytes freed
/// (by any thread) while it runs, and reports what was seen.
///
/// Watches are serialised by a global lock, so tests of one binary may call
/// it from parallel threads.
pub fn watch(min_size: usize, f: impl FnOnce()) -> Freed {
    let _guard = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    for counter in [&BLOCKS, &DIRTY_BLOCKS, &DIRTY_BYTES, &LARGEST] {
        counter.store(0, Ordering::SeqCst);
    }
    MIN_SIZE.store(min_size, Ordering::SeqCst);
    WATCHING.store(true, Ordering::SeqCst);
    f();
    WATCHING.store(false, Ordering::SeqCst);
    Freed {
        blocks: BLOCKS.load(Ordering::SeqCst),
        dirty_blocks: DIRTY_BLOCKS.load(Ordering::SeqCst),
        dirty_bytes: DIRTY_BYTES.load(Ordering::SeqCst),
        largest: LARGEST.load(Ordering::SeqCst),
    }
}

/// [`watch`] over `f` run in a thread of its own, so that per-thread
/// buffers (such as keyward-pinhash's reusable Argon2 memory) are released
/// before the watch ends.
///
/// # Panics
/// If `f` panics (the panic is re-raised in the test).
#[allow(clippy::panic)]
pub fn watch_thread(min_size: usize, f: impl FnOnce() + Send + 'static) -> Freed {
    watch(min_size, || {
        if let Err(e) = std::thread::spawn(f).join() {
            std::panic::resume_unwind(e);
        }
    })
}

/// Asserts that `freed` saw at least one block of `min_size` bytes or more
/// (so the test watched the memory it means to) and that every such block
/// was all zeros when released; `what` names the operation in the message.
///
/// # Panics
/// When either does not hold: that is the test failing.
#[allow(clippy::panic)]
pub fn assert_wiped(what: &str, min_size: usize, freed: Freed) {
    assert!(
        freed.blocks > 0,
        "{what}: no block of {min_size} bytes or more was freed: the test saw no Argon2 memory"
    );
    assert_eq!(
        freed.dirty_blocks, 0,
        "{what}: Argon2 memory released with {} non-zero bytes ({freed:?})",
        freed.dirty_bytes
    );
}

/// Records one freed block's contents.
fn inspect(block: &[u8]) {
    let dirty = block.iter().filter(|&&b| b != 0).count();
    BLOCKS.fetch_add(1, Ordering::SeqCst);
    LARGEST.fetch_max(block.len(), Ordering::SeqCst);
    if dirty > 0 {
        DIRTY_BLOCKS.fetch_add(1, Ordering::SeqCst);
        DIRTY_BYTES.fetch_add(dirty, Ordering::SeqCst);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees (and the caller's obligations) carry
// over as they are. The only addition is in `dealloc` (and `realloc`, which
// may free): before the block is released, it is read as a `&[u8]` of
// `layout.size()` bytes. That is sound because the caller of `dealloc`
// guarantees that `ptr` was returned by this allocator for `layout`, so
// `ptr..ptr + layout.size()` is one live allocation that nothing else may
// use any more (it is being freed), and every byte of it has been
// initialised: `Block`s and `Vec<u8>` storage of the watched sizes are
// written (or zeroed by `alloc_zeroed`) before they are freed. The reading
// code does not allocate, so it cannot re-enter the allocator.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for InspectingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged (see the impl's argument).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if WATCHING.load(Ordering::SeqCst) && layout.size() >= MIN_SIZE.load(Ordering::SeqCst) {
            // SAFETY: `ptr` is a live allocation of `layout.size()` bytes
            // that nobody else uses (it is being freed); see the impl.
            let block = unsafe { core::slice::from_raw_parts(ptr, layout.size()) };
            inspect(block);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A moving realloc frees the old block with its contents still in it
        // (copied, not wiped): inspect it as a free when it may move.
        if WATCHING.load(Ordering::SeqCst) && layout.size() >= MIN_SIZE.load(Ordering::SeqCst) {
            // SAFETY: as in `dealloc`, the block is live and ours to read;
            // after `realloc` it may be gone, so it is read before.
            let block = unsafe { core::slice::from_raw_parts(ptr, layout.size()) };
            inspect(block);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
