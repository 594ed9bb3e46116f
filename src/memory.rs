//! How the process gives memory back. Each password hash allocates its argon2 memory (19 MiB
//! by default) and frees it a moment later. glibc raises its mmap threshold to the size of a
//! freed mmapped block, so after the first hash these blocks come from the heap arenas and stay
//! resident for good (hundreds of MB after a login flood). A fixed threshold keeps every large
//! block mmapped, so it is unmapped the moment it is freed.

/// Blocks at least this large are always mapped on their own and returned when freed.
const MMAP_THRESHOLD_BYTES: i32 = 1 << 20;

/// Call first thing in `main`, before other threads exist.
pub fn return_large_blocks_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it runs before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    }
}
