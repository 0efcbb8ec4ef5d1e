//! Process hygiene before any secret is read: no core dump, and (on Linux)
//! a process that is not dumpable.
//!
//! A core file taken while the command waits at a prompt would hold every
//! secret read so far (the PINs of the cards already read, a HashKey, a
//! key); zeroizing buffers only help once they are dropped. So every
//! command starts by setting the core-file size limit to 0 (soft and hard,
//! so that no child can raise it again) and, on Linux, clearing the
//! process's "dumpable" attribute (`prctl(PR_SET_DUMPABLE, 0)`): the kernel
//! then writes no core whatever the limit or `core_pattern` (a piped
//! `core_pattern` ignores the limit), and other processes of the same user
//! cannot attach with `ptrace` or read `/proc/PID/mem`. Both calls go
//! through `rustix`'s safe wrappers.

/// Disables core dumps and makes the process non-dumpable.
///
/// # Errors
/// The operating system's refusal, as a message naming the step; the caller
/// stops before reading any secret.
pub fn harden() -> Result<(), String> {
    rustix::process::setrlimit(
        rustix::process::Resource::Core,
        rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )
    .map_err(|e| format!("disabling core dumps (RLIMIT_CORE = 0): {e}"))?;
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| format!("making the process non-dumpable (PR_SET_DUMPABLE): {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After `harden`, the core limit is 0 and cannot be raised again, and
    /// the kernel reports the process as not dumpable.
    #[test]
    fn no_core_and_not_dumpable() {
        harden().unwrap();
        let limit = rustix::process::getrlimit(rustix::process::Resource::Core);
        assert_eq!(limit.current, Some(0));
        assert_eq!(limit.maximum, Some(0));
        assert!(
            rustix::process::setrlimit(
                rustix::process::Resource::Core,
                rustix::process::Rlimit {
                    current: Some(1 << 20),
                    maximum: Some(1 << 20),
                },
            )
            .is_err()
                || rustix::process::getrlimit(rustix::process::Resource::Core).maximum == Some(0),
            "the hard limit could be raised again"
        );
        #[cfg(target_os = "linux")]
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            rustix::process::DumpableBehavior::NotDumpable
        );
    }
}
