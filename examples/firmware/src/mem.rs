//! The C memory functions, small rather than fast: one byte at a time.
//!
//! The compiler calls these (and their ARM EABI forms, `__aeabi_memcpy` and the like) for
//! every copy, fill and comparison it does not inline. `compiler_builtins` provides them
//! weakly, unrolled and word-aligned for speed: 3.3 KB of flash. A firmware that is short of
//! flash, as this one is measured against its budget, takes byte loops instead (about 0.2 KB),
//! the choice newlib-nano makes. The cost is speed: a 1 KiB block is copied in about 4,000
//! cycles instead of about 1,000, which is nothing beside the radio.
//!
//! Each loop reads and writes through volatile accesses, so the compiler cannot recognise it as
//! a copy and turn it back into a call to itself.

use core::ffi::c_int;
use core::ptr::{read_volatile, write_volatile};

/// Copies `n` bytes from `src` to `dest`, first to last.
///
/// # Safety
/// `src` readable and `dest` writable for `n` bytes.
unsafe fn forward(dest: *mut u8, src: *const u8, n: usize) {
    for i in 0..n {
        // SAFETY: i < n, within both regions.
        unsafe { write_volatile(dest.add(i), read_volatile(src.add(i))) }
    }
}

/// Copies `n` bytes from `src` to `dest`, last to first.
///
/// # Safety
/// As [`forward`].
unsafe fn backward(dest: *mut u8, src: *const u8, n: usize) {
    for i in (0..n).rev() {
        // SAFETY: i < n, within both regions.
        unsafe { write_volatile(dest.add(i), read_volatile(src.add(i))) }
    }
}

/// Copies `n` bytes when the regions may overlap.
///
/// # Safety
/// As [`forward`].
unsafe fn overlapping(dest: *mut u8, src: *const u8, n: usize) {
    // Copying towards lower addresses reads each byte before it is overwritten, and
    // towards higher addresses backwards does.
    if (dest as usize) <= (src as usize) {
        unsafe { forward(dest, src, n) }
    } else {
        unsafe { backward(dest, src, n) }
    }
}

/// Sets `n` bytes at `dest` to `c`.
///
/// # Safety
/// `dest` writable for `n` bytes.
unsafe fn fill(dest: *mut u8, c: u8, n: usize) {
    for i in 0..n {
        // SAFETY: i < n, within the region.
        unsafe { write_volatile(dest.add(i), c) }
    }
}

/// C `memcpy`.
///
/// # Safety
/// As C's: `src` readable and `dest` writable for `n` bytes, not overlapping.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    unsafe { forward(dest, src, n) };
    dest
}

/// C `memmove`.
///
/// # Safety
/// As C's: `src` readable and `dest` writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    unsafe { overlapping(dest, src, n) };
    dest
}

/// C `memset`.
///
/// # Safety
/// As C's: `dest` writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, c: c_int, n: usize) -> *mut u8 {
    unsafe { fill(dest, c as u8, n) };
    dest
}

/// C `memcmp`: the difference of the first differing bytes, as unsigned, or 0.
///
/// # Safety
/// As C's: both readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    for i in 0..n {
        // SAFETY: i < n, within both regions.
        let (x, y) = unsafe { (read_volatile(a.add(i)), read_volatile(b.add(i))) };
        if x != y {
            return c_int::from(x) - c_int::from(y);
        }
    }
    0
}

/// C `bcmp`: 0 when equal.
///
/// # Safety
/// As [`memcmp`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    unsafe { memcmp(a, b, n) }
}

// The ARM EABI forms (ARM IHI 0043, "Run-time ABI", 4.3.4): no return value; the 4 and 8
// forms promise aligned pointers, which byte loops do not need; `memset` takes its
// arguments as (dest, n, c).

/// # Safety
/// As [`memcpy`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy(dest: *mut u8, src: *const u8, n: usize) {
    unsafe { forward(dest, src, n) }
}

/// # Safety
/// As [`memcpy`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy4(dest: *mut u8, src: *const u8, n: usize) {
    unsafe { forward(dest, src, n) }
}

/// # Safety
/// As [`memcpy`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memcpy8(dest: *mut u8, src: *const u8, n: usize) {
    unsafe { forward(dest, src, n) }
}

/// # Safety
/// As [`memmove`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memmove(dest: *mut u8, src: *const u8, n: usize) {
    unsafe { overlapping(dest, src, n) }
}

/// # Safety
/// As [`memmove`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memmove4(dest: *mut u8, src: *const u8, n: usize) {
    unsafe { overlapping(dest, src, n) }
}

/// # Safety
/// As [`memmove`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memmove8(dest: *mut u8, src: *const u8, n: usize) {
    unsafe { overlapping(dest, src, n) }
}

/// # Safety
/// As [`memset`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memset(dest: *mut u8, n: usize, c: c_int) {
    unsafe { fill(dest, c as u8, n) }
}

/// # Safety
/// As [`memset`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memset4(dest: *mut u8, n: usize, c: c_int) {
    unsafe { fill(dest, c as u8, n) }
}

/// # Safety
/// As [`memset`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memset8(dest: *mut u8, n: usize, c: c_int) {
    unsafe { fill(dest, c as u8, n) }
}

/// # Safety
/// As [`memset`] with 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memclr(dest: *mut u8, n: usize) {
    unsafe { fill(dest, 0, n) }
}

/// # Safety
/// As [`memset`] with 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memclr4(dest: *mut u8, n: usize) {
    unsafe { fill(dest, 0, n) }
}

/// # Safety
/// As [`memset`] with 0.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __aeabi_memclr8(dest: *mut u8, n: usize) {
    unsafe { fill(dest, 0, n) }
}
