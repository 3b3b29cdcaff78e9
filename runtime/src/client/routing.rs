//! Serving the server's requests: routing each to its object and serving Read, Observe,
//! Discover, Write, Write-Attributes and Execute, with the path checks and default formats of
//! TS Transport 6.4. After each request the objects are polled, so that what the request
//! changed is reported at once.

extern crate alloc;

use alloc::vec::Vec;

use super::blockwise::{Block1, Reassembled};
use super::observe::{AttributeTable, Observation, Observer};
use super::render::{Count, Wanted, instance_ids, links_in_blocks, render};
use super::{Client, Config, Device, Instant, Peer};
use crate::coap::{self, CoapOption, Message, MessageType};
use crate::error::Error;
use crate::format::link::LinkWriter;
use crate::format::{self, ContentFormat, Shape};
use crate::object::{Object, Write};
use crate::path::Path;
use crate::spec::{Multiplicity, ObjectInfo, ResourceType, Version};
use crate::value::ExecuteArgs;

impl Client {
    /// Serves one request from a management server or (`from` [`Peer::Bootstrap`]) the
    /// Bootstrap-Server. Each is served only in its time: the Bootstrap-Server while the
    /// client bootstraps, the management servers otherwise; the others get 4.01. A write
    /// or execute makes every server's observations look at their values again.
    pub(super) fn serve(
        &mut self,
        now: Instant,
        from: Peer,
        request: Message,
        device: &mut Device<'_, '_>,
    ) {
        let kind = request.kind;
        let mid = request.mid;
        if !matches!(kind, MessageType::Confirmable | MessageType::NonConfirmable) {
            return;
        }
        if kind == MessageType::Confirmable && self.transport.duplicate(now, from, mid) {
            debug!("a duplicate of request {} is answered from the cache", mid);
            return;
        }
        if from == Peer::Bootstrap
            && let Some(answer) = self.bootstrap.finish_answer(now, mid)
        {
            debug!("a retransmitted Bootstrap-Finish is answered again");
            let answer = answer.to_vec();
            self.transport.send_now(Peer::Bootstrap, answer);
            return;
        }
        let bootstrap = from == Peer::Bootstrap;
        let session = match from {
            Peer::Server(id) => self.servers.iter_mut().find(|s| s.id() == id),
            Peer::Bootstrap | Peer::Download => None,
        };
        let response = match session {
            _ if bootstrap != self.bootstrap.is_active() => Err((Error::Unauthorized, None)),
            _ if bootstrap => self.serve_bootstrap(now, &request, device),
            None => Err((Error::Unauthorized, None)),
            Some(session) => {
                let mut router = Router {
                    config: &self.config,
                    observer: Some(&mut session.observer),
                    block1: &mut session.block1,
                };
                router.dispatch(now, &request, device)
            }
        };
        if !bootstrap && matches!(request.code, coap::PUT | coap::POST) {
            for s in &mut self.servers {
                s.observer.values_changed();
            }
        }
        let mut response = response.unwrap_or_else(|(e, size1)| {
            debug!("request {} refused: {:?}", mid, e);
            let mut r = coap::response_to(&request, coap::error_code(e));
            if let Some(size) = size1 {
                coap::set_uint_option(&mut r, CoapOption::Size1, size);
            }
            r
        });
        if kind == MessageType::NonConfirmable {
            response.mid = self.transport.mid();
        }
        let bytes = coap::to_bytes(&response).or_else(|_| {
            coap::to_bytes(&coap::response_to(
                &request,
                coap::error_code(Error::Internal),
            ))
        });
        let Ok(bytes) = bytes else { return };
        if kind == MessageType::Confirmable {
            self.transport.remember(now, from, mid, &bytes);
        }
        // The bytes of a Bootstrap answer are kept for the case it answered Finish.
        let kept = bootstrap.then(|| bytes.clone());
        self.transport.send_now(from, bytes);
        // What the request changed is reported after its response.
        self.poll_objects(now, device);
        if let Some(kept) = kept {
            self.after_bootstrap_request(now, (mid, &kept), device);
        }
    }

    /// Bootstrap-Read: a Read with no Observe, in the format the request accepts or the
    /// default one.
    pub(super) fn bootstrap_read(
        &mut self,
        now: Instant,
        request: &Message,
        path: &Path,
        object: &mut dyn Object,
    ) -> Result<Message, Error> {
        check_path(object, path)?;
        let accept = coap::uint_option(request, CoapOption::Accept)
            .transpose()?
            .map(|a| {
                u16::try_from(a)
                    .ok()
                    .and_then(ContentFormat::from_number)
                    .ok_or(Error::NotAcceptable)
            })
            .transpose()?;
        // A read takes no block-wise write.
        let mut block1 = Block1::default();
        let mut router = Router {
            config: &self.config,
            observer: None,
            block1: &mut block1,
        };
        router.read(now, request, path, accept, object)
    }
}

/// What serving a request needs of the client: its settings, the requesting server's
/// observations and attributes (a read may start one; none for the Bootstrap-Server) and the
/// Block1 reassembler.
struct Router<'c> {
    config: &'c Config,
    observer: Option<&'c mut Observer>,
    block1: &'c mut Block1,
}

impl Router<'_> {
    /// Routes a request; an error carries the Size1 to answer with (for 4.13).
    fn dispatch(
        &mut self,
        now: Instant,
        request: &Message,
        device: &mut Device<'_, '_>,
    ) -> Result<Message, (Error, Option<u32>)> {
        let plain = |e: Error| (e, None);
        self.block1.expire(now);
        let path = Path::from_segments(request.options(CoapOption::UriPath)).map_err(plain)?;
        let code = request.code;
        let object = match path.object() {
            Some(id) => lookup(device.objects, id).ok_or(plain(Error::NotFound))?,
            // Nothing is served at `/` to a normal server.
            None => {
                return Err(plain(if code == coap::GET {
                    Error::NotFound
                } else {
                    Error::MethodNotAllowed
                }));
            }
        };
        let info = object.info();
        // Only a Bootstrap-Server reaches the credentials (LwM2M Security): whatever a
        // normal server asks of them, even whether an instance exists, is refused.
        if info.is_bootstrap_only() {
            debug!("object {} is for bootstrap only: 4.01", info.id);
            return Err(plain(Error::Unauthorized));
        }
        check_path(object, &path).map_err(plain)?;
        match code {
            coap::GET => {
                let accept = coap::uint_option(request, CoapOption::Accept)
                    .transpose()
                    .map_err(plain)?
                    .map(|a| {
                        u16::try_from(a)
                            .ok()
                            .and_then(ContentFormat::from_number)
                            .ok_or(Error::NotAcceptable)
                    })
                    .transpose()
                    .map_err(plain)?;
                if accept == Some(ContentFormat::LinkFormat) {
                    self.discover(request, &path, object).map_err(plain)
                } else {
                    self.read(now, request, &path, accept, object)
                        .map_err(plain)
                }
            }
            coap::PUT
                if request.payload.is_empty()
                    && request.options(CoapOption::UriQuery).next().is_some() =>
            {
                self.write_attributes(request, &path).map_err(plain)
            }
            coap::PUT => self.write(now, request, &path, true, object),
            coap::POST
                if path.len() == 3
                    && info
                        .resource(path.resource().unwrap_or(0))
                        .is_some_and(|r| r.operations.is_executable()) =>
            {
                execute(request, &path, object).map_err(plain)
            }
            // A partial update targets an instance, or a multiple-instance resource (its
            // instances are added or replaced); POST on a single resource is Execute only
            // (TS Transport 6.4.3), so a non-executable one answers 4.05.
            coap::POST
                if path.len() == 2
                    || (path.len() == 3
                        && info
                            .resource(path.resource().unwrap_or(0))
                            .is_some_and(|r| r.multiplicity == Multiplicity::Multiple)) =>
            {
                self.write(now, request, &path, false, object)
            }
            // Create and Delete are bootstrap and access-control business, not served here.
            _ => Err(plain(Error::MethodNotAllowed)),
        }
    }

    fn read(
        &mut self,
        now: Instant,
        request: &Message,
        path: &Path,
        accept: Option<ContentFormat>,
        object: &mut dyn Object,
    ) -> Result<Message, Error> {
        let info = object.info();
        let format = match accept {
            Some(f) => f,
            None => default_format(info, path, self.config.default_format),
        };
        let wanted = Wanted::of(request, self.config.max_block)?;
        let num = wanted.num;
        let rendered = render(object, path, format, wanted.offset, wanted.size)?;
        let mut response = coap::response_to(request, coap::CONTENT);
        coap::set_uint_option(
            &mut response,
            CoapOption::ContentFormat,
            u32::from(format.number()),
        );
        wanted.mark(&mut response, rendered.total, rendered.fingerprint)?;
        // Observe: register or cancel (RFC 7641).
        match coap::uint_option(request, CoapOption::Observe).transpose()? {
            Some(0) if num == 0 => {
                let observation = Observation::new(
                    heapless::Vec::from_slice(request.token.as_slice())
                        .map_err(|_| Error::BadRequest)?,
                    *path,
                    format,
                    now,
                    rendered.fingerprint,
                    rendered.number,
                );
                if self.observer.as_mut().is_some_and(|o| o.add(observation)) {
                    coap::set_uint_option(&mut response, CoapOption::Observe, 2);
                }
            }
            Some(1) => {
                if let Some(o) = self.observer.as_mut() {
                    o.remove_token(request.token.as_slice());
                }
            }
            _ => {}
        }
        response.payload = rendered.bytes;
        Ok(response)
    }

    fn discover(
        &mut self,
        request: &Message,
        path: &Path,
        object: &mut dyn Object,
    ) -> Result<Message, Error> {
        let table = self.attributes()?;
        let info = object.info();
        let mut out = Vec::new();
        let mut w = LinkWriter::new(&mut out);
        let attrs =
            |table: &AttributeTable, w: &mut LinkWriter<'_>, p: &Path| -> Result<(), Error> {
                let a = table.get(p);
                if let Some(v) = a.pmin {
                    w.attr("pmin", v)?;
                }
                if let Some(v) = a.pmax {
                    w.attr("pmax", v)?;
                }
                if let Some(v) = a.gt {
                    w.float_attr("gt", v)?;
                }
                if let Some(v) = a.lt {
                    w.float_attr("lt", v)?;
                }
                if let Some(v) = a.st {
                    w.float_attr("st", v)?;
                }
                Ok(())
            };
        if path.len() == 1 {
            w.link(path)?;
            if info.object_version != Version::new(1, 0) {
                w.version_attr("ver", info.object_version)?;
            }
            attrs(table, &mut w, path)?;
        }
        for instance in instance_ids(object, path) {
            let ip = Path::new(&[info.id, instance]).ok_or(Error::Internal)?;
            if path.len() <= 2 {
                w.link(&ip)?;
                attrs(table, &mut w, &ip)?;
            }
            for r in info.resources {
                if path.resource().is_some_and(|id| id != r.id) || !object.implements(r.id) {
                    continue;
                }
                let rp = ip.child(r.id).ok_or(Error::Internal)?;
                w.link(&rp)?;
                if r.multiplicity == Multiplicity::Multiple && r.operations.is_readable() {
                    let mut count = Count(0);
                    if object.read(instance, r.id, &mut count).is_ok() {
                        w.attr("dim", count.0.into())?;
                    }
                }
                attrs(table, &mut w, &rp)?;
            }
        }
        links_in_blocks(request, out, self.config.max_block)
    }

    /// The requesting server's attributes: the Bootstrap-Server has none (4.01).
    fn attributes(&mut self) -> Result<&mut AttributeTable, Error> {
        self.observer
            .as_deref_mut()
            .map(|o| &mut o.attributes)
            .ok_or(Error::Unauthorized)
    }

    fn write_attributes(&mut self, request: &Message, path: &Path) -> Result<Message, Error> {
        let table = self.attributes()?;
        let mut a = table.get(path);
        for query in request.options(CoapOption::UriQuery) {
            let (name, value) = match format::split_at_byte(query, b'=') {
                Some((n, v)) => (n, Some(v)),
                None => (query, None),
            };
            let int = |v: Option<&[u8]>| {
                v.map(|v| {
                    format::parse_unsigned(v)
                        .and_then(|v| u32::try_from(v).ok())
                        .ok_or(Error::BadRequest)
                })
                .transpose()
            };
            // Without the `float-text` feature gt, lt and st are refused (4.00).
            let float = |v: Option<&[u8]>| {
                v.map(|v| {
                    core::str::from_utf8(v)
                        .ok()
                        .and_then(|v| format::parse_float(v).ok())
                        .ok_or(Error::BadRequest)
                })
                .transpose()
            };
            match name {
                b"pmin" => a.pmin = int(value)?,
                b"pmax" => a.pmax = int(value)?,
                b"gt" => a.gt = float(value)?,
                b"lt" => a.lt = float(value)?,
                // A step is a distance: negative ones are refused; a bare `st` clears it.
                b"st" => {
                    a.st = match float(value)? {
                        Some(step) if step < 0.0 => return Err(Error::BadRequest),
                        step => step,
                    }
                }
                _ => return Err(Error::BadRequest),
            }
        }
        if let (Some(min), Some(max)) = (a.pmin, a.pmax)
            && min > max
        {
            return Err(Error::BadRequest);
        }
        if !table.set(*path, a) {
            return Err(Error::Internal);
        }
        Ok(coap::response_to(request, coap::CHANGED))
    }

    /// A Write (PUT) or partial update (POST); values written block-wise are streamed to a
    /// resource that takes chunks, reassembled for anything else.
    fn write(
        &mut self,
        now: Instant,
        request: &Message,
        path: &Path,
        replace: bool,
        object: &mut dyn Object,
    ) -> Result<Message, (Error, Option<u32>)> {
        let plain = |e: Error| (e, None);
        let info = object.info();
        if path.len() < 2 {
            return Err(plain(Error::MethodNotAllowed));
        }
        let instance = path.instance().unwrap_or(0);
        if let Some(r) = path.resource() {
            let resource = info.resource(r).ok_or(plain(Error::NotFound))?;
            if !resource.operations.is_writable() {
                return Err(plain(Error::MethodNotAllowed));
            }
            if path.len() == 3 && object.accepts_chunks(r) {
                return self
                    .block1
                    .write_chunks(now, request, path, object, self.config.max_block);
            }
        }
        let format = match coap::uint_option(request, CoapOption::ContentFormat)
            .transpose()
            .map_err(plain)?
        {
            Some(cf) => u16::try_from(cf)
                .ok()
                .and_then(ContentFormat::from_number)
                .ok_or(plain(Error::UnsupportedContentFormat))?,
            None if path.len() >= 3 => ContentFormat::Text,
            None => return Err(plain(Error::UnsupportedContentFormat)),
        };
        let block = coap::block_option(request, CoapOption::Block1)
            .transpose()
            .map_err(plain)?;
        let (mut payload, echo) = match block {
            Some(b) if b.num != 0 || b.more => {
                match self
                    .block1
                    .reassemble(now, request, path, b, self.config.max_block)?
                {
                    Reassembled::Continue(response) => return Ok(response),
                    Reassembled::Whole(value, echo) => (value, Some(echo)),
                }
            }
            // The whole value in one message (a single block, or none).
            b => {
                self.block1.forget(path);
                (request.payload.clone(), b)
            }
        };
        let shape = |p: &Path| {
            let r = info.resource(p.resource()?)?;
            Some(Shape {
                kind: r.kind,
                multiple: r.multiplicity == Multiplicity::Multiple,
            })
        };
        let items = format::decode(format, path, &mut payload, &shape).map_err(plain)?;
        // Check everything before changing anything.
        for item in &items {
            let r = info
                .resource(item.path.resource().unwrap_or(0))
                .ok_or(plain(Error::NotFound))?;
            if !r.operations.is_writable() || object.accepts_chunks(r.id) {
                return Err(plain(Error::MethodNotAllowed));
            }
            r.check(&item.value).map_err(plain)?;
            object
                .validate(instance, r.id, &item.value)
                .map_err(plain)?;
        }
        let mut done: heapless::Vec<u16, 64> = heapless::Vec::new();
        for item in &items {
            let r = item.path.resource().unwrap_or(0);
            if done.contains(&r) {
                continue;
            }
            done.push(r).map_err(|_| plain(Error::TooLarge))?;
            let multiple = info
                .resource(r)
                .is_some_and(|ri| ri.multiplicity == Multiplicity::Multiple);
            let result = if multiple {
                let mut values = items
                    .iter()
                    .filter(move |i| i.path.resource() == Some(r))
                    .map(|i| {
                        i.path
                            .resource_instance()
                            .map(|ri| (ri, i.value))
                            .ok_or(Error::BadRequest)
                    });
                // Writing one resource instance updates that instance only.
                let replace = replace && path.len() < 4;
                object.write(
                    instance,
                    r,
                    Write::Instances {
                        replace,
                        items: &mut values,
                    },
                )
            } else {
                object.write(instance, r, Write::Value(item.value))
            };
            result.map_err(plain)?;
        }
        let mut response = coap::response_to(request, coap::CHANGED);
        if let Some(echo) = echo {
            coap::set_block_option(&mut response, CoapOption::Block1, echo).map_err(plain)?;
        }
        Ok(response)
    }
}

/// Finds the object with ID `id`.
pub(super) fn lookup<'x>(
    objects: &'x mut [&mut dyn Object],
    id: u16,
) -> Option<&'x mut dyn Object> {
    objects
        .iter_mut()
        .find(|o| o.info().id == id)
        .map(|o| &mut **o as &mut dyn Object)
}

/// 4.04 for an instance or resource that does not exist, 4.05 for one the path may not name.
fn check_path(object: &mut dyn Object, path: &Path) -> Result<(), Error> {
    if let Some(instance) = path.instance() {
        let mut found = false;
        object.instances(&mut |i| found |= i == instance);
        if !found {
            return Err(Error::NotFound);
        }
    }
    if let Some(r) = path.resource() {
        let resource = object.info().resource(r).ok_or(Error::NotFound)?;
        if path.len() == 4 && resource.multiplicity != Multiplicity::Multiple {
            return Err(Error::NotFound);
        }
    }
    Ok(())
}

/// Text (or opaque) for a single value, the configured format for anything else.
fn default_format(info: &ObjectInfo, path: &Path, multi: ContentFormat) -> ContentFormat {
    let resource = path.resource().and_then(|r| info.resource(r));
    match resource {
        Some(r) if r.multiplicity == Multiplicity::Single || path.len() == 4 => {
            if r.kind == ResourceType::Opaque {
                ContentFormat::Opaque
            } else {
                ContentFormat::Text
            }
        }
        _ => multi,
    }
}

fn execute(request: &Message, path: &Path, object: &mut dyn Object) -> Result<Message, Error> {
    let args = ExecuteArgs(&request.payload);
    // Arguments that break the grammar are refused before the handler runs.
    if args.iter().any(|a| a.is_err()) {
        return Err(Error::BadRequest);
    }
    object.execute(
        path.instance().unwrap_or(0),
        path.resource().unwrap_or(0),
        args,
    )?;
    Ok(coap::response_to(request, coap::CHANGED))
}
