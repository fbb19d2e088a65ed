//! Process-wide memory settings of Capstan's binaries: transparent huge pages off.
//!
//! With the kernel's transparent huge pages set to `always` (a common default), the
//! first touch of fresh allocator memory faults in and zeroes a whole 2 MiB page.
//! mimalloc hands out, frees and re-commits memory in much smaller pieces, so a busy API
//! server spent 6–15% of its CPU in the kernel zeroing pages (`clear_page_erms`). With
//! huge pages off for the process the same faults zero 4 KiB. Call
//! [`disable_transparent_huge_pages`] first thing in `main`.

/// Turns transparent huge pages off for this process (`prctl(PR_SET_THP_DISABLE)`; the
/// flag is the process's and its children inherit it). Memory already backed by huge
/// pages keeps them. An error (a kernel without the flag) leaves the kernel's setting,
/// which only costs speed.
pub fn disable_transparent_huge_pages() -> std::io::Result<()> {
    rustix::thread::disable_transparent_huge_pages(true).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel reports the flag in `/proc/self/status` (`THP_enabled: 0`).
    #[test]
    fn huge_pages_are_off_for_the_process_afterwards() {
        disable_transparent_huge_pages().expect("prctl(PR_SET_THP_DISABLE)");
        assert!(
            rustix::thread::transparent_huge_pages_are_disabled()
                .expect("prctl(PR_GET_THP_DISABLE)")
        );
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        let line = status.lines().find(|l| l.starts_with("THP_enabled:"));
        if let Some(line) = line {
            assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
        }
    }
}
