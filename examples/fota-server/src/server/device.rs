//! What the device asks of the server: registration, its updates and deregistration, and the
//! image blocks of a PULL.

use coap_lite::{CoapOption, MessageType, Packet};

use lwm2m_objects::firmware_update as fw;
use lwm2m_objects::{connectivity_monitoring as cm, device};

use super::{Event, Purpose, Server, Watch, path};
use crate::coap::{self, Block};

impl<A: Clone + PartialEq> Server<A> {
    // --- the device's requests ---------------------------------------------------------

    pub(super) fn request(&mut self, now: u64, from: A, p: &Packet) {
        let mid = p.header.message_id;
        let token = p.get_token().to_vec();
        if p.header.get_type() == MessageType::Confirmable
            && let Some((.., bytes)) = self
                .responses
                .iter()
                .find(|(a, m, t, _)| *a == from && *m == mid && *t == token)
        {
            // A retransmission: the same answer again, and nothing done twice.
            self.outbox.push_back((from, bytes.clone()));
            return;
        }
        let path = coap::path_of(p);
        let code = coap::code_of(p);
        let reply = |server: &mut Self, code: u8, build: &dyn Fn(&mut Packet)| {
            let kind = if p.header.get_type() == MessageType::Confirmable {
                MessageType::Acknowledgement
            } else {
                MessageType::NonConfirmable
            };
            let mut r = coap::message(kind, code);
            r.header.message_id = if kind == MessageType::Acknowledgement {
                mid
            } else {
                server.next_mid()
            };
            r.set_token(p.get_token().to_vec());
            build(&mut r);
            let Ok(bytes) = r.to_bytes() else { return };
            if server.responses.len() == 16 {
                server.responses.pop_front();
            }
            server
                .responses
                .push_back((from.clone(), mid, token.clone(), bytes.clone()));
            server.outbox.push_back((from.clone(), bytes));
        };
        let image_path = self.settings.image_path.clone();
        match (code, path.as_str()) {
            (coap::POST, "rd") => {
                let endpoint = coap::endpoint_of(p).unwrap_or_default();
                self.location += 1;
                let location = self.location.to_string();
                reply(self, coap::CREATED, &|r| {
                    r.add_option(CoapOption::LocationPath, b"rd".to_vec());
                    r.add_option(CoapOption::LocationPath, location.as_bytes().to_vec());
                });
                self.registered(
                    now,
                    from,
                    endpoint,
                    String::from_utf8_lossy(&p.payload).into(),
                );
            }
            (coap::POST, rd) if rd == format!("rd/{}", self.location) => {
                reply(self, coap::CHANGED, &|_| {});
                if !self.registered {
                    // Requests to it had timed out: look at the device afresh.
                    self.observe(now, from);
                } else {
                    // A device whose notification went unanswered ends that observation
                    // (RFC 7641 4.5) and soon sends an Update: observe again.
                    self.device = Some(from);
                    self.refresh_observations(now);
                }
            }
            (coap::DELETE, rd) if rd == format!("rd/{}", self.location) => {
                reply(self, coap::DELETED, &|_| {});
                self.registered = false;
            }
            (coap::GET, path) if path == image_path => {
                let Some(job) = self.jobs.get(self.current) else {
                    reply(self, coap::NOT_FOUND, &|_| {});
                    return;
                };
                let image = &job.image;
                let asked = coap::block(p, CoapOption::Block2).unwrap_or(Block::new(0, false, 6));
                let size = asked.size() as usize;
                let start = asked.num as usize * size;
                if start >= image.len() && !(start == 0 && image.is_empty()) {
                    reply(self, coap::BAD_REQUEST, &|_| {});
                    return;
                }
                let end = (start + size).min(image.len());
                let block = Block::new(asked.num, end < image.len(), asked.szx);
                let payload = image[start..end].to_vec();
                let total = image.len() as u32;
                let etag = self.etags.get(self.current).copied().unwrap_or_default();
                reply(self, coap::CONTENT, &|r| {
                    r.add_option(CoapOption::ETag, etag.to_vec());
                    coap::add_block(r, CoapOption::Block2, block);
                    r.add_option(CoapOption::Size2, coap::uint_bytes(total));
                    r.payload = payload.clone();
                });
                self.stats.blocks_served += 1;
                self.stats.bytes_served += (end - start) as u64;
                self.events.push_back(Event::Progress {
                    done: end as u32,
                    total,
                });
                self.maybe_cancel(now, end as u32);
            }
            _ => reply(self, coap::NOT_FOUND, &|_| {}),
        }
    }

    fn registered(&mut self, now: u64, from: A, endpoint: String, objects: String) {
        // A push goes on where it stopped: a device that registers again because its
        // link was bad still holds the transfer, and one that rebooted answers the next
        // block 4.08, which starts the push over.
        self.endpoint = Some(endpoint.clone());
        self.events
            .push_back(Event::Registered { endpoint, objects });
        self.observe(now, from);
    }

    /// Observes State, Update Result and signal strength anew (with the token of the
    /// observation held, so that the device replaces it), unless such a request is already
    /// waiting.
    fn refresh_observations(&mut self, now: u64) {
        for (watch, ids) in [
            (Watch::State, [fw::ID, 0, fw::resources::STATE]),
            (Watch::Result, [fw::ID, 0, fw::resources::UPDATE_RESULT]),
            (
                Watch::Rssi,
                [cm::ID, 0, cm::resources::RADIO_SIGNAL_STRENGTH],
            ),
        ] {
            let waiting = self
                .queue
                .iter()
                .any(|(p, _)| *p == Purpose::Observe(watch))
                || self
                    .outstanding
                    .as_ref()
                    .is_some_and(|o| o.purpose == Purpose::Observe(watch));
            if waiting {
                continue;
            }
            let mut p = coap::message(MessageType::Confirmable, coap::GET);
            p.add_option(CoapOption::Observe, Vec::new());
            coap::set_path(&mut p, &path(&ids));
            p.add_option(CoapOption::Accept, Vec::new()); // text/plain
            self.enqueue(now, Purpose::Observe(watch), p);
        }
    }

    /// Forgets what the device said and observes it again.
    fn observe(&mut self, now: u64, from: A) {
        self.device = Some(from);
        self.registered = true;
        self.state = None;
        self.result = None;
        self.rssi = None;
        self.version = None;
        self.observations.clear();
        self.asked_signal = false;
        self.queue.clear();
        self.outstanding = None;
        // What arrives next is the device's state now.
        self.attempt.fresh = true;
        self.refresh_observations(now);
        let mut p = coap::message(MessageType::Confirmable, coap::GET);
        coap::set_path(
            &mut p,
            &path(&[device::ID, 0, device::resources::FIRMWARE_VERSION]),
        );
        p.add_option(CoapOption::Accept, Vec::new());
        self.enqueue(now, Purpose::ReadVersion, p);
        let mut p = coap::message(MessageType::Confirmable, coap::GET);
        coap::set_path(
            &mut p,
            &path(&[fw::ID, 0, fw::resources::FIRMWARE_UPDATE_DELIVERY_METHOD]),
        );
        p.add_option(CoapOption::Accept, Vec::new());
        self.enqueue(now, Purpose::ReadDelivery, p);
    }
}
