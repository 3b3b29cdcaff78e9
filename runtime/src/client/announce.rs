//! What Register and Update announce: the objects served (as the link-format payload, and as
//! a fingerprint that tells when they changed), the lifetime (`lt=`) and the binding (`b=`).

extern crate alloc;

use alloc::vec::Vec;

use super::account::Binding;
use super::observe::{FNV_START, fnv1a};
use super::{Config, Device};
use crate::coap::{CoapOption, Message};
use crate::format::Digits;
use crate::format::link::LinkWriter;
use crate::path::Path;
use crate::spec::{ObjectInfo, Version};

/// Every object served, sorted by ID, with its instance IDs.
pub(super) type ObjectList = Vec<(&'static ObjectInfo, Vec<u16>)>;

/// Every object served, sorted by ID, with its instance IDs; objects reserved to bootstrap
/// (Security) are not announced.
pub(super) fn object_list(device: &mut Device<'_, '_>) -> ObjectList {
    let mut list = ObjectList::new();
    for o in device
        .objects
        .iter()
        .filter(|o| !o.info().is_bootstrap_only())
    {
        let mut ids = Vec::new();
        o.instances(&mut |i| insert_sorted(&mut ids, i, |&i| i));
        insert_sorted(&mut list, (o.info(), ids), |(info, _)| info.id);
    }
    list
}

/// Inserts `item` after every element whose key is not greater. An insertion sort: a device's
/// objects and instances are few, and the slice sorts of core cost a firmware over 2 KiB.
pub(super) fn insert_sorted<T, K: Ord>(v: &mut Vec<T>, item: T, key: impl Fn(&T) -> K) {
    let k = key(&item);
    let at = v.partition_point(|x| key(x) <= k);
    v.insert(at, item);
}

/// A fingerprint of the object list.
pub(super) fn fingerprint(objects: &ObjectList) -> u64 {
    objects.iter().fold(FNV_START, |h, (info, ids)| {
        let h = fnv1a(h, &info.id.to_be_bytes());
        ids.iter().fold(h, |h, i| fnv1a(h, &i.to_be_bytes()))
    })
}

/// Adds `lt=` with the lifetime.
pub(super) fn add_lifetime(p: &mut Message, lifetime: u32) {
    let mut q: heapless::String<16> = heapless::String::new();
    // `lt=` and a u32 always fit.
    let _ = q.push_str("lt=");
    let _ = q.push_str(Digits::unsigned(lifetime.into()).as_str());
    p.add_option(CoapOption::UriQuery, q.as_bytes());
}

/// Adds `b=` with the binding's letters.
pub(super) fn add_binding(p: &mut Message, binding: &Binding) {
    let mut q: heapless::String<16> = heapless::String::new();
    let _ = q.push_str("b=");
    for letter in binding.registered() {
        let _ = q.push(letter);
    }
    p.add_option(CoapOption::UriQuery, q.as_bytes());
}

/// The registration payload: `</>;rt="oma.lwm2m";ct=...` then every object and instance.
pub(super) fn links(config: &Config, objects: &ObjectList) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = LinkWriter::new(&mut out);
    let _ = w.raw_link("/");
    let _ = w.quoted_attr("rt", "oma.lwm2m");
    let _ = w.attr("ct", config.default_format.number().into());
    for (info, instances) in objects {
        let object = Path::new(&[info.id]).unwrap_or_default();
        let versioned = info.object_version != Version::new(1, 0);
        if versioned || instances.is_empty() {
            let _ = w.link(&object);
            if versioned {
                let _ = w.version_attr("ver", info.object_version);
            }
        }
        for &i in instances {
            let _ = w.link(&Path::new(&[info.id, i]).unwrap_or_default());
        }
    }
    out
}
