//! `calloc` and `free` for Mbed TLS on targets without a C library, over Rust's global
//! allocator. Each block carries its size in a header so `free` can give it back.

use core::alloc::Layout;
use core::ffi::c_void;

/// The header before each block: its size, keeping the block 8-byte aligned.
const HEADER: usize = 8;

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

/// C's `calloc`: `count * size` zeroed bytes, or null.
#[unsafe(no_mangle)]
extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
    let Some(bytes) = count.checked_mul(size) else {
        return core::ptr::null_mut();
    };
    let Some(layout) = layout(bytes) else {
        return core::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size (at least the header).
    let base = unsafe { alloc::alloc::alloc_zeroed(layout) };
    if base.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: the block is at least HEADER bytes, aligned for a usize.
    unsafe {
        base.cast::<usize>().write(bytes);
        base.add(HEADER).cast()
    }
}

/// C's `free`: gives back a block from [`calloc`] (null is ignored).
///
/// # Safety
/// `ptr` is null or came from this `calloc` and was not freed.
#[unsafe(no_mangle)]
unsafe extern "C" fn free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: `ptr` came from `calloc`, HEADER bytes past the start of its block, whose
    // first word holds the size the layout was made from.
    unsafe {
        let base = ptr.cast::<u8>().sub(HEADER);
        let bytes = base.cast::<usize>().read();
        if let Some(layout) = layout(bytes) {
            alloc::alloc::dealloc(base, layout);
        }
    }
}
