//! The few raw libc calls that neither socket2 nor nix expose. Every `unsafe` block of the
//! socket layer lives here, each with its safety argument.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Marker for plain-old-data option values: integers and `#[repr(C)]` structs of integers,
/// with no padding that the kernel would read uninitialised and no pointers.
pub(crate) trait OptVal: Copy {}
impl OptVal for libc::c_int {}
impl OptVal for libc::ip_mreqn {}

/// `setsockopt(fd, level, name, &value, sizeof value)`.
pub(crate) fn setsockopt<T: OptVal>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(mem::size_of::<T>())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `fd` is a live descriptor borrowed for the duration of the call; `value` is a
    // valid reference to `len` bytes of plain data (`OptVal`) that the kernel only reads.
    let rc =
        unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, (value as *const T).cast(), len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Binds an AF_PACKET socket to `ifindex`, for frames of `protocol` (host order, e.g.
/// `ETH_P_ALL`; 0 to receive nothing).
pub(crate) fn bind_packet(fd: BorrowedFd<'_>, ifindex: u32, protocol: u16) -> io::Result<()> {
    let ifindex =
        libc::c_int::try_from(ifindex).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: sockaddr_ll is a C struct of integers and byte arrays; all-zero is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as libc::c_ushort;
    sll.sll_protocol = protocol.to_be();
    sll.sll_ifindex = ifindex;
    let len = libc::socklen_t::try_from(mem::size_of::<libc::sockaddr_ll>())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `fd` is live for the call; `sll` is a fully initialised sockaddr_ll of `len`
    // bytes that the kernel only reads.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Registers a descriptor (a timerfd, a VRRP socket) with the tokio reactor for
/// `interest`.
pub(crate) fn register<T: AsRawFd>(
    sock: T,
    interest: tokio::io::Interest,
) -> io::Result<tokio::io::unix::AsyncFd<T>> {
    // SAFETY: every `T` registered here either owns its descriptor and closes it only on
    // drop (the timerfd wrapper in timer.rs; `AsyncFd::drop` deregisters before closing), or
    // is a VRRP socket's `WatchedFd` (vrrp_socket.rs), which borrows a descriptor that its
    // `VrrpSocket` keeps open for longer than the registration (the pool holds both and drops
    // the watch first; the socket is shared through an `Arc` and closed with its last
    // holder). No code in this crate replaces or closes a descriptor while it is registered.
    unsafe { tokio::io::unix::AsyncFd::register_with_interest(sock, interest) }
        .map_err(std::io::Error::from)
}

/// The identity a script child takes before `execve()`, computed in the parent so that the
/// child only reads it.
pub(crate) struct ChildIds {
    /// Whether to call setgroups/setgid/setuid at all (false when we already are that user).
    pub switch: bool,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub groups: Vec<libc::gid_t>,
}

/// Installs the pre-exec step of a script child: supplementary groups, gid, uid (in that
/// order, while still privileged), then `PR_SET_PDEATHSIG = SIGTERM` (after the uid change,
/// which would clear it).
pub(crate) fn script_child_setup(cmd: &mut tokio::process::Command, ids: ChildIds) {
    let setup = move || -> std::io::Result<()> {
        if ids.switch {
            // SAFETY: `groups` is a live Vec owned by the closure; the kernel reads
            // `len` gid_t values from it. setgroups/setgid/setuid are async-signal-safe.
            if unsafe { libc::setgroups(ids.groups.len(), ids.groups.as_ptr()) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: plain syscalls with integer arguments.
            if unsafe { libc::setgid(ids.gid) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: as above.
            if unsafe { libc::setuid(ids.uid) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        // SAFETY: prctl with integer arguments; PR_SET_PDEATHSIG takes a signal number.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the closure runs in the forked child between fork and exec. It allocates
    // nothing and takes no locks: it only reads data moved into it and makes the
    // async-signal-safe syscalls above (io::Error::last_os_error does not allocate).
    unsafe {
        cmd.pre_exec(setup);
    }
}

/// Hands the heap's free pages back to the kernel (glibc `malloc_trim(0)`): what the
/// configuration took while it was read stays resident otherwise.
pub(crate) fn malloc_trim() {
    // SAFETY: malloc_trim only walks glibc's own arenas under their locks; it takes no
    // pointer from us and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// One malloc arena for the whole process (`mallopt(M_ARENA_MAX, 1)`): our few helper
/// threads (the log writer) allocate little, and a per-thread arena would keep free pages of
/// its own. And a fixed mmap threshold (`M_MMAP_THRESHOLD`, 64 KiB): glibc otherwise raises
/// it to the size of each large block freed (a growing vector of instances), and from then
/// on large transient buffers land in the heap, among long-lived small blocks, and leave
/// holes there that stay resident.
pub(crate) fn single_malloc_arena() {
    // SAFETY: mallopt only sets glibc tunables; called before any helper thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
    }
}

/// `setpriority(PRIO_PROCESS, tid, nice)`: on Linux it sets the nice value of one thread.
pub(crate) fn set_nice(tid: libc::pid_t, nice: libc::c_int) -> io::Result<()> {
    let who =
        libc::id_t::try_from(tid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: plain integer arguments; no memory is passed.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, who, nice) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `sched_setscheduler(tid, policy, {priority})`.
pub(crate) fn set_scheduler(
    tid: libc::pid_t,
    policy: libc::c_int,
    priority: libc::c_int,
) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: `param` is a fully initialised sched_param that the kernel only reads for the
    // duration of the call.
    let rc = unsafe { libc::sched_setscheduler(tid, policy, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `sched_getscheduler(tid)` and `sched_getparam(tid)`: the policy (without the
/// reset-on-fork flag) and the real-time priority.
pub(crate) fn get_scheduler(tid: libc::pid_t) -> io::Result<(libc::c_int, libc::c_int)> {
    // SAFETY: plain integer argument.
    let policy = unsafe { libc::sched_getscheduler(tid) };
    if policy < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid, writable sched_param for the duration of the call.
    let rc = unsafe { libc::sched_getparam(tid, &mut param) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((policy & !libc::SCHED_RESET_ON_FORK, param.sched_priority))
}

/// `mlockall(flags)`.
pub(crate) fn mlockall(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: plain integer argument; locking pages changes no memory contents.
    let rc = unsafe { libc::mlockall(flags) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `munlockall()`.
pub(crate) fn munlockall() -> io::Result<()> {
    // SAFETY: no arguments; unlocking pages changes no memory contents.
    let rc = unsafe { libc::munlockall() };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
