//! Handing back memory that only start-up, or a burst of work, needed.
//!
//! Two kinds stay resident after they are needed, and the kernel takes neither back from an
//! idle process on its own:
//! - free heap pages that lie between live blocks (glibc returns only the top of the heap
//!   when a block is freed; `malloc_trim` also returns whole free pages in the middle);
//! - pages of the program's own code and constants that start-up touched (reading the
//!   configuration, the command line, the loader's relocation table) and the loop never runs
//!   again. Every first touch of a page maps the 64 KiB around it as well (the kernel's
//!   fault-around), so a process that once ran most of its code keeps nearly all of its 2 MB
//!   of text mapped, and so does each of its children.
//!
//! Dropping those mappings (`MADV_DONTNEED`) loses nothing: the pages are clean and read-only,
//! the page cache keeps them, and the next instruction that needs one maps it back (a minor
//! fault). Measured on a 1,000-instance backup: its VRRP child went on to use about 1 MB of
//! the 2 MB of text, its parent about 0.3 MB.

use std::ops::Range;

/// Returns the heap's free pages and the program's idle read-only pages to the kernel.
pub fn release_idle_memory() {
    crate::ffi::malloc_trim();
    // Fails only where pages may not be dropped: memory locked by `*_no_swap` (mlockall)
    // must stay resident, and then it does.
    let _ = drop_program_pages();
}

/// Unmaps this process's pages of the program's read-only segments (code, constants, the
/// tables only the loader reads). Never the writable segments, nor the relocated read-only
/// data (`PT_GNU_RELRO`): those pages hold the loader's writes and are anonymous.
pub fn drop_program_pages() -> std::io::Result<()> {
    let segments = program_segments()?;
    let page = page_size();
    for ro in &segments.read_only {
        let range = pages_within(ro, &segments.written, page);
        if range.is_empty() {
            continue;
        }
        // SAFETY: `range` lies inside a read-only PT_LOAD segment of this program as the
        // loader mapped it (a private mapping of the executable's file), page aligned, and
        // shares no page with a writable or relocated segment. No Rust reference points
        // into code, and constants read after this call are read again from the file's page
        // cache with the same bytes: MADV_DONTNEED on a clean private file mapping only
        // removes our page-table entries.
        let rc = unsafe {
            libc::madvise(
                range.start as *mut libc::c_void,
                range.len(),
                libc::MADV_DONTNEED,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Page-aligned address ranges of the program's loaded segments.
#[derive(Debug, Default)]
struct Segments {
    read_only: Vec<Range<usize>>,
    /// Writable segments and the RELRO range: never dropped.
    written: Vec<Range<usize>>,
    /// Whether the object whose segments these are holds this very function.
    ours: bool,
}

fn page_size() -> usize {
    // SAFETY: sysconf only reads a system constant.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n)
        .ok()
        .filter(|n| n.is_power_of_two())
        .unwrap_or(4096)
}

/// The whole pages of `ro` that no range of `written` touches: `ro` rounded inwards,
/// then clipped at either end by an overlapping written range (rounded outwards).
fn pages_within(ro: &Range<usize>, written: &[Range<usize>], page: usize) -> Range<usize> {
    let down = |a: usize| a & !(page - 1);
    let up = |a: usize| a.saturating_add(page - 1) & !(page - 1);
    // The segment's first and last pages are mapped with it even when it starts or ends
    // mid-page: the loader maps whole pages.
    let (mut start, mut end) = (down(ro.start), up(ro.end));
    for w in written {
        let (ws, we) = (down(w.start), up(w.end));
        if ws >= end || we <= start {
            continue;
        }
        if ws <= start {
            start = start.max(we);
        } else if we >= end {
            end = end.min(ws);
        } else {
            // A written range inside a read-only segment: no layout a linker makes. Keep
            // the lower part only.
            end = ws;
        }
    }
    start..end.max(start)
}

/// The segments of the loaded object that contains this code (the program itself).
fn program_segments() -> std::io::Result<Segments> {
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: glibc passes a valid `dl_phdr_info` for the duration of the call and
        // `data` is the `&mut Segments` given to dl_iterate_phdr below, not otherwise
        // borrowed while the iteration runs.
        let (info, out) = unsafe { (&*info, &mut *data.cast::<Segments>()) };
        if info.dlpi_phdr.is_null() {
            return 0;
        }
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers of the loaded object.
        let headers =
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
        let here = program_segments as *const () as usize;
        let mut found = Segments::default();
        for h in headers {
            let Some(start) = usize::try_from(info.dlpi_addr)
                .ok()
                .and_then(|base| base.checked_add(usize::try_from(h.p_vaddr).ok()?))
            else {
                continue;
            };
            let Some(end) = usize::try_from(h.p_memsz)
                .ok()
                .and_then(|n| start.checked_add(n))
            else {
                continue;
            };
            let range = start..end;
            match h.p_type {
                libc::PT_LOAD if h.p_flags & libc::PF_W == 0 => {
                    found.ours |= range.contains(&here);
                    found.read_only.push(range);
                }
                libc::PT_LOAD | libc::PT_GNU_RELRO => found.written.push(range),
                _ => {}
            }
        }
        if found.ours {
            *out = found;
            1
        } else {
            0
        }
    }
    let mut segments = Segments::default();
    // SAFETY: the callback above upholds dl_iterate_phdr's contract (reads only what it is
    // given, returns non-zero to stop) and `segments` outlives the call.
    unsafe {
        libc::dl_iterate_phdr(Some(visit), (&raw mut segments).cast());
    }
    if segments.ours {
        Ok(segments)
    } else {
        Err(std::io::Error::other(
            "the program's own segments were not found",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 4096;

    #[test]
    fn a_read_only_segment_is_taken_in_whole_pages() {
        assert_eq!(pages_within(&(0x1010..0x3010), &[], PAGE), 0x1000..0x4000);
    }

    #[test]
    fn a_page_shared_with_a_writable_segment_is_kept() {
        // Text ending mid-page where the relocated data begins on the same page.
        let ro = 0x1000..0x3800;
        let rw = [Range {
            start: 0x3800,
            end: 0x5000,
        }];
        assert_eq!(pages_within(&ro, &rw, PAGE), 0x1000..0x3000);
        // And at the start.
        assert_eq!(pages_within(&(0x5100..0x8000), &rw, PAGE), 0x5000..0x8000);
        assert_eq!(pages_within(&(0x4100..0x8000), &rw, PAGE), 0x5000..0x8000);
    }

    #[test]
    fn a_segment_covered_by_written_pages_yields_nothing() {
        assert!(
            pages_within(
                &(0x1000..0x2000),
                &[Range {
                    start: 0,
                    end: 0x3000
                }],
                PAGE
            )
            .is_empty()
        );
    }

    #[test]
    fn this_program_has_read_only_segments_apart_from_its_written_ones() {
        let s = program_segments().expect("the test binary's own segments");
        assert!(
            s.read_only
                .iter()
                .any(|r| r.contains(&(program_segments as *const () as usize)))
        );
        for ro in &s.read_only {
            let p = pages_within(ro, &s.written, PAGE);
            for w in &s.written {
                assert!(
                    p.end <= w.start || p.start >= w.end,
                    "{p:x?} overlaps {w:x?}"
                );
            }
        }
    }

    /// Resident kB of this executable's code mapping(s), from /proc/self/smaps.
    fn code_resident_kib() -> u64 {
        let exe = std::fs::read_link("/proc/self/exe").expect("/proc/self/exe");
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
        let mut ours = false;
        let mut kib = 0;
        for line in smaps.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.first().is_some_and(|f| f.contains('-')) && fields.len() >= 5 {
                ours = fields.get(1) == Some(&"r-xp")
                    && fields
                        .get(5)
                        .is_some_and(|p| std::path::Path::new(p) == exe);
            } else if ours && fields.first() == Some(&"Rss:") {
                kib += fields
                    .get(1)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        kib
    }

    #[test]
    fn dropped_code_pages_leave_and_the_code_still_runs() {
        static TABLE: [u64; 4] = [3, 1, 4, 1];
        let before = code_resident_kib();
        let sum: u64 = TABLE.iter().sum::<u64>() + format!("{}", 42).len() as u64;
        drop_program_pages().expect("madvise on our own read-only segments");
        let after = code_resident_kib();
        // Code and constants come back as they are used.
        let again: u64 = TABLE.iter().sum::<u64>() + format!("{}", 42).len() as u64;
        assert_eq!((sum, again), (11, 11));
        // What the harness ran before is no longer mapped (what ran since, the smaps
        // reading and other tests' threads, maps some back).
        assert!(
            before > 0 && after < before,
            "resident code {before} kB -> {after} kB"
        );
    }
}
