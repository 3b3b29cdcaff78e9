//! Message layer: confirmable retransmission with RFC 7252 timing, one exchange in flight per
//! peer (NSTART 1), a queue behind it, and duplicate detection with cached responses.

extern crate alloc;

use alloc::vec::Vec;

use super::session::MAX_SERVERS;
use super::{Instant, Peer, Transmit};
use crate::coap::{self, Message, MessageType};

/// RFC 7252 section 4.8 defaults.
pub(crate) const ACK_TIMEOUT_MS: u64 = 2_000;
/// ACK_RANDOM_FACTOR 1.5, as a ratio.
const ACK_RANDOM_FACTOR: (u64, u64) = (3, 2);
pub(crate) const MAX_RETRANSMIT: u8 = 4;
/// EXCHANGE_LIFETIME: how long a duplicate may still arrive (247 s).
pub(crate) const EXCHANGE_LIFETIME_MS: u64 = 247_000;
/// The last wait before a confirmable message gives up: ACK_TIMEOUT * 2^MAX_RETRANSMIT at
/// the largest random factor, 48 s.
pub(crate) const LAST_INTERVAL_MS: u64 =
    ACK_TIMEOUT_MS * (1 << MAX_RETRANSMIT) * ACK_RANDOM_FACTOR.0 / ACK_RANDOM_FACTOR.1;
/// How long to wait for a separate response after an empty ACK.
pub(crate) const SEPARATE_RESPONSE_MS: u64 = 30_000;
/// MAX_TRANSMIT_WAIT (RFC 7252 4.8.2): the longest a confirmable message can go unanswered
/// before it times out, 93 s.
pub(crate) const MAX_TRANSMIT_WAIT_MS: u64 =
    ACK_TIMEOUT_MS * ((1 << (MAX_RETRANSMIT + 1)) - 1) * ACK_RANDOM_FACTOR.0 / ACK_RANDOM_FACTOR.1;

/// Cached responses for duplicate detection, for every peer together; when full, the
/// peer with the most gives up its oldest.
const DEDUP_ENTRIES: usize = 8;
/// The bytes those responses may hold together (two answers carrying a 1 KiB block, with
/// their header, token and options), so the heap they take is bounded by bytes as well as by
/// count; past it, they go the same way.
const DEDUP_BYTES: usize = 2304;
/// Exchanges waiting for their turn. Each part starts at most one exchange at a time (each
/// server's registration one Register, Update or Deregister; the downloader one block
/// request; the Bootstrap-Request) and notifications never wait in it (they go only when
/// their server's line is free), so one per peer would do; the rest is margin, and a full
/// queue is still refused, never overwritten.
const QUEUE: usize = PEERS + 2;
/// The peers: the management servers, the Bootstrap-Server, the download server.
const PEERS: usize = MAX_SERVERS + 2;
/// Datagrams waiting for the application to send them.
const OUT: usize = 16;

/// The queue is full: the exchange was not started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Full;

/// What an exchange is for, so its outcome reaches the right place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum Purpose {
    Register,
    Update,
    Deregister,
    /// A notification for the observation with this token.
    Notify,
    /// A block of a download an object asked for.
    Fetch,
    /// The Bootstrap-Request (`POST /bs`).
    Bootstrap,
}

/// A confirmable message with this code, numbered when it is started.
pub(crate) fn confirmable(code: u8) -> Message {
    let mut p = Message::new(MessageType::Confirmable, 0);
    p.code = code;
    p
}

/// A small, fast generator for message IDs, tokens and backoff jitter (xorshift64*).
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..=max`, for jitter. From the generator's 32 high bits, by a 32-bit
    /// remainder (a 64-bit one would link a software division into a 32-bit firmware): a
    /// `max` past 2^32 ms (49.7 days, reached only by a retry policy's longest waits) is
    /// jittered over its first 49.7 days.
    pub(crate) fn up_to(&mut self, max: u64) -> u64 {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        let high = (self.next() >> 32) as u32;
        u64::from(high.checked_rem(max.wrapping_add(1)).unwrap_or(high))
    }
}

/// A confirmable message and its retransmission state.
#[derive(Clone, Debug)]
pub(crate) struct Exchange {
    pub mid: u16,
    pub token: heapless::Vec<u8, 8>,
    pub to: Peer,
    pub bytes: Vec<u8>,
    pub purpose: Purpose,
    /// Message IDs this exchange went out with before a refresh gave it a new one: a late
    /// ACK or reset of one of them still ends it.
    earlier_mids: heapless::Vec<u16, { MAX_RETRANSMIT as usize }>,
    transmissions: u8,
    timeout: u64,
    deadline: Instant,
    acked: bool,
}

/// What became of an exchange.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A response arrived (piggybacked or separate): its bytes.
    Response(Exchange, Message),
    /// The peer reset the message.
    Reset(Exchange),
    /// No answer after MAX_RETRANSMIT retransmissions.
    TimedOut(Exchange),
}

#[derive(Clone, Debug)]
struct Cached {
    mid: u16,
    peer: Peer,
    response: Vec<u8>,
    expires: Instant,
}

pub(crate) struct Transport {
    pub rng: Rng,
    next_mid: u16,
    /// One exchange in flight per peer.
    inflight: heapless::Vec<Exchange, PEERS>,
    queue: heapless::Deque<Exchange, QUEUE>,
    out: heapless::Deque<Transmit, OUT>,
    dedup: heapless::Vec<Cached, DEDUP_ENTRIES>,
}

impl Transport {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let next_mid = rng.next() as u16;
        Self {
            rng,
            next_mid,
            inflight: heapless::Vec::new(),
            queue: heapless::Deque::new(),
            out: heapless::Deque::new(),
            dedup: heapless::Vec::new(),
        }
    }

    pub(crate) fn mid(&mut self) -> u16 {
        self.next_mid = self.next_mid.wrapping_add(1);
        self.next_mid
    }

    pub(crate) fn token(&mut self) -> heapless::Vec<u8, 8> {
        let bytes = (self.rng.next() as u32).to_be_bytes();
        let mut t = heapless::Vec::new();
        let _ = t.extend_from_slice(&bytes);
        t
    }

    /// Queues a datagram to send now (responses, ACKs). When the queue is full the oldest is
    /// dropped: a lost response is what UDP does anyway, and the peer retransmits.
    pub(crate) fn send_now(&mut self, to: Peer, data: Vec<u8>) {
        if self.out.is_full() {
            warn!("{} datagrams wait to be sent: the oldest is dropped", OUT);
            let _ = self.out.pop_front();
        }
        let _ = self.out.push_back(Transmit { to, data });
    }

    /// Numbers a request, gives it a fresh token and starts it (see [`Transport::start`]).
    /// [`Full`] also stands for a request that does not encode (larger than a datagram):
    /// either way nothing was sent and the caller must try again later.
    pub(crate) fn request(
        &mut self,
        now: Instant,
        mut p: Message,
        to: Peer,
        purpose: Purpose,
    ) -> Result<(), Full> {
        let mid = self.mid();
        let token = self.token();
        p.mid = mid;
        p.token = token.clone();
        let Ok(bytes) = coap::to_bytes(&p) else {
            warn!("a {:?} request does not encode: not sent", purpose);
            return Err(Full);
        };
        self.start(now, mid, token, to, bytes, purpose)
    }

    /// Whether an exchange to `peer` is in flight or waiting.
    pub(crate) fn busy(&self, peer: Peer) -> bool {
        self.inflight.iter().any(|e| e.to == peer) || self.queue.iter().any(|e| e.to == peer)
    }

    /// Starts (or queues behind the exchange in flight to the same peer) a confirmable
    /// message. Registration goes before anything else waiting. [`Full`] when the queue is
    /// full: the caller keeps what it wanted to send and tries again.
    pub(crate) fn start(
        &mut self,
        now: Instant,
        mid: u16,
        token: heapless::Vec<u8, 8>,
        to: Peer,
        bytes: Vec<u8>,
        purpose: Purpose,
    ) -> Result<(), Full> {
        let exchange = Exchange {
            mid,
            token,
            to,
            bytes,
            purpose,
            transmissions: 0,
            timeout: 0,
            deadline: now,
            acked: false,
            earlier_mids: heapless::Vec::new(),
        };
        if self.inflight.iter().any(|e| e.to == to) {
            let queued = if matches!(
                purpose,
                Purpose::Register | Purpose::Update | Purpose::Deregister | Purpose::Bootstrap
            ) {
                self.queue.push_front(exchange)
            } else {
                self.queue.push_back(exchange)
            };
            return queued.map_err(|_| {
                warn!("the exchange queue is full: a {:?} waits", purpose);
                Full
            });
        }
        self.launch(now, exchange)
    }

    fn launch(&mut self, now: Instant, mut exchange: Exchange) -> Result<(), Full> {
        // The first timeout is random between ACK_TIMEOUT and ACK_TIMEOUT * ACK_RANDOM_FACTOR.
        let spread = ACK_TIMEOUT_MS * ACK_RANDOM_FACTOR.0 / ACK_RANDOM_FACTOR.1 - ACK_TIMEOUT_MS;
        exchange.timeout = ACK_TIMEOUT_MS + self.rng.up_to(spread);
        exchange.deadline = now.after(exchange.timeout);
        exchange.transmissions = 1;
        self.send_now(exchange.to, exchange.bytes.clone());
        // One in flight per peer, and room for every peer.
        self.inflight.push(exchange).map_err(|_| Full)
    }

    /// The notification in flight to `peer` whose retransmission is due at `now`: its token,
    /// so that the caller can [`refresh`](Transport::refresh) it with the newest value first.
    pub(crate) fn notification_due(
        &self,
        now: Instant,
        peer: Peer,
    ) -> Option<heapless::Vec<u8, 8>> {
        self.inflight
            .iter()
            .find(|e| {
                e.to == peer
                    && e.purpose == Purpose::Notify
                    && e.deadline <= now
                    && !e.acked
                    && e.transmissions <= MAX_RETRANSMIT
            })
            .map(|e| e.token.clone())
    }

    /// Replaces the bytes of the notification in flight with this token by a newer one
    /// (new message ID; RFC 7641 4.5.2): its retransmission carries the newest value, with
    /// the retransmission count and timeout going on.
    pub(crate) fn refresh(&mut self, peer: Peer, token: &[u8], mid: u16, bytes: Vec<u8>) {
        if let Some(e) = self
            .inflight
            .iter_mut()
            .find(|e| e.to == peer && e.purpose == Purpose::Notify && e.token.as_slice() == token)
        {
            if e.earlier_mids.is_full() {
                e.earlier_mids.remove(0);
            }
            let _ = e.earlier_mids.push(e.mid);
            e.mid = mid;
            e.bytes = bytes;
        }
    }

    /// Drops every Register, Update or Deregister to `peer` in flight or waiting (its guard
    /// ran out).
    pub(crate) fn abandon_registration(&mut self, now: Instant, peer: Peer) {
        let registration = |e: &Exchange| {
            e.to == peer
                && matches!(
                    e.purpose,
                    Purpose::Register | Purpose::Update | Purpose::Deregister
                )
        };
        self.queue_retain(&|e| !registration(e));
        while let Some(i) = self.inflight.iter().position(registration) {
            self.finish(now, i);
        }
    }

    /// Keeps the queued exchanges for which `keep` holds, in order.
    fn queue_retain(&mut self, keep: &dyn Fn(&Exchange) -> bool) {
        for _ in 0..self.queue.len() {
            let Some(e) = self.queue.pop_front() else {
                break;
            };
            if keep(&e) {
                let _ = self.queue.push_back(e);
            }
        }
    }

    /// Drops every notification in flight to `peer` (their observations ended).
    pub(crate) fn abandon_notifications(&mut self, now: Instant, peer: Peer) {
        while let Some(i) = self
            .inflight
            .iter()
            .position(|e| e.to == peer && e.purpose == Purpose::Notify)
        {
            self.finish(now, i);
        }
    }

    /// Retransmits now every exchange in flight to `peer`, with a fresh retransmission budget
    /// (the network changed: waiting out the backoff would only waste time).
    pub(crate) fn kick(&mut self, now: Instant, peer: Peer) {
        let mut resend: heapless::Vec<Vec<u8>, 2> = heapless::Vec::new();
        for e in self
            .inflight
            .iter_mut()
            .filter(|e| e.to == peer && !e.acked)
        {
            e.transmissions = 1;
            e.timeout = ACK_TIMEOUT_MS;
            e.deadline = now.after(e.timeout);
            let _ = resend.push(e.bytes.clone());
        }
        for bytes in resend {
            self.send_now(peer, bytes);
        }
    }

    /// Drops every exchange to `peer` that has not completed (a download abandoned).
    pub(crate) fn abandon(&mut self, peer: Peer) {
        self.inflight.retain(|e| e.to != peer);
        self.queue_retain(&|e| e.to != peer);
    }

    fn finish(&mut self, now: Instant, index: usize) -> Exchange {
        let done = self.inflight.swap_remove(index);
        // Start the next queued exchange to the same peer: the others go round the queue
        // once and keep their order.
        if let Some(pos) = self.queue.iter().position(|e| e.to == done.to) {
            let mut next = None;
            for i in 0..self.queue.len() {
                let Some(e) = self.queue.pop_front() else {
                    break;
                };
                if i == pos {
                    next = Some(e);
                } else {
                    let _ = self.queue.push_back(e);
                }
            }
            if let Some(e) = next {
                let _ = self.launch(now, e);
            }
        }
        done
    }

    /// Matches an incoming ACK, RST or separate response to an exchange in flight.
    pub(crate) fn on_message(
        &mut self,
        now: Instant,
        from: Peer,
        p: Message,
    ) -> Option<Result<Outcome, Message>> {
        use MessageType as T;
        let kind = p.kind;
        let code = p.code;
        match kind {
            T::Acknowledgement | T::Reset => {
                let Some(i) = self.inflight.iter().position(|e| {
                    let mid = p.mid;
                    e.to == from && (e.mid == mid || e.earlier_mids.contains(&mid))
                }) else {
                    debug!(
                        "an ACK or reset with message ID {} matches nothing in flight: dropped",
                        p.mid
                    );
                    return None;
                };
                if kind == T::Reset {
                    let e = self.finish(now, i);
                    return Some(Ok(Outcome::Reset(e)));
                }
                if code == 0
                    && self
                        .inflight
                        .get(i)
                        .is_some_and(|e| e.purpose == Purpose::Notify)
                {
                    // A notification is a response: its ACK completes it, and the next
                    // confirmable message to this peer may go.
                    let e = self.finish(now, i);
                    return Some(Ok(Outcome::Response(e, p)));
                }
                if code == 0 {
                    // Empty ACK to a request: the response comes separately.
                    if let Some(e) = self.inflight.get_mut(i) {
                        e.acked = true;
                        e.deadline = now.after(SEPARATE_RESPONSE_MS);
                    }
                    return None;
                }
                let e = self.finish(now, i);
                Some(Ok(Outcome::Response(e, p)))
            }
            T::Confirmable | T::NonConfirmable if !coap::is_request(code) && code != 0 => {
                let i = self
                    .inflight
                    .iter()
                    .position(|e| e.to == from && e.token.as_slice() == p.token.as_slice());
                if kind == T::Confirmable {
                    // Acknowledge a separate response, or reject one we did not ask for.
                    let reply = if i.is_some() {
                        T::Acknowledgement
                    } else {
                        T::Reset
                    };
                    if let Ok(bytes) = coap::to_bytes(&Message::new(reply, p.mid)) {
                        self.send_now(from, bytes);
                    }
                }
                let e = self.finish(now, i?);
                Some(Ok(Outcome::Response(e, p)))
            }
            // A request: the caller serves it.
            _ => Some(Err(p)),
        }
    }

    /// Forgets the responses cached for `peer` (it now leads to another server, whose
    /// message IDs have nothing to do with the last one's).
    pub(crate) fn forget(&mut self, peer: Peer) {
        self.dedup.retain(|c| c.peer != peer);
    }

    /// The cached response to a duplicate request, if this message ID was answered recently.
    pub(crate) fn duplicate(&mut self, now: Instant, from: Peer, mid: u16) -> bool {
        self.dedup.retain(|c| c.expires > now);
        let Some(cached) = self.dedup.iter().find(|c| c.peer == from && c.mid == mid) else {
            return false;
        };
        let response = cached.response.clone();
        self.send_now(from, response);
        true
    }

    /// Remembers the response to a confirmable request for duplicate detection.
    pub(crate) fn remember(&mut self, now: Instant, from: Peer, mid: u16, response: &[u8]) {
        self.dedup
            .retain(|c| c.expires > now && !(c.peer == from && c.mid == mid));
        let held = |dedup: &[Cached]| dedup.iter().map(|c| c.response.len()).sum::<usize>();
        while self.dedup.is_full()
            || (!self.dedup.is_empty() && held(&self.dedup) + response.len() > DEDUP_BYTES)
        {
            // The oldest answer of the peer with the most goes, counting the answer being
            // kept, and on a tie the peer it is for: a busy server cannot push another's out
            // (an Execute answered once must not run twice).
            let count = |p: Peer| self.dedup.iter().filter(|c| c.peer == p).count();
            let busiest = self
                .dedup
                .iter()
                .map(|c| c.peer)
                .max_by_key(|&p| (count(p) + usize::from(p == from), p == from));
            let Some(i) = busiest.and_then(|p| self.dedup.iter().position(|c| c.peer == p)) else {
                break;
            };
            self.dedup.remove(i);
        }
        let _ = self.dedup.push(Cached {
            mid,
            peer: from,
            response: response.to_vec(),
            expires: now.after(EXCHANGE_LIFETIME_MS),
        });
    }

    /// Retransmits what is due and returns the exchanges that gave up.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> heapless::Vec<Exchange, PEERS> {
        let mut failed = heapless::Vec::new();
        let mut i = 0;
        while i < self.inflight.len() {
            let Some(e) = self.inflight.get_mut(i) else {
                break;
            };
            if e.deadline > now {
                i += 1;
                continue;
            }
            if e.acked || e.transmissions > MAX_RETRANSMIT {
                warn!(
                    "{:?} to {:?} timed out after {} transmissions",
                    e.purpose, e.to, e.transmissions
                );
                let done = self.finish(now, i);
                let _ = failed.push(done);
                continue;
            }
            debug!(
                "{:?} to {:?}: retransmission {} after {} ms",
                e.purpose, e.to, e.transmissions, e.timeout
            );
            e.transmissions += 1;
            e.timeout *= 2;
            e.deadline = now.after(e.timeout);
            let (to, bytes) = (e.to, e.bytes.clone());
            self.send_now(to, bytes);
            i += 1;
        }
        failed
    }

    /// The next retransmission or give-up time.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.inflight.iter().map(|e| e.deadline).min()
    }

    /// The next datagram to send.
    pub(crate) fn pop(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::Rng;

    #[test]
    fn cached_answers_are_bounded_by_bytes_oldest_of_the_busiest_first() {
        use super::{DEDUP_BYTES, Instant, Peer, Transport};

        let mut t = Transport::new(1);
        let now = Instant(0);
        // Server 2's one small answer, then three of 1,000 bytes from server 1.
        t.remember(now, Peer::Server(2), 7, &[0; 6]);
        for mid in 1..=3 {
            t.remember(now, Peer::Server(1), mid, &[0; 1000]);
        }
        let held: usize = t.dedup.iter().map(|c| c.response.len()).sum();
        assert!(held <= DEDUP_BYTES, "{held} bytes held");
        let cached =
            |t: &Transport, peer, mid| t.dedup.iter().any(|c| c.peer == peer && c.mid == mid);
        assert!(!cached(&t, Peer::Server(1), 1), "server 1's oldest went");
        assert!(cached(&t, Peer::Server(1), 2) && cached(&t, Peer::Server(1), 3));
        assert!(
            cached(&t, Peer::Server(2), 7),
            "the other server's answer stays"
        );
        // Still answered from the cache, once.
        assert!(t.duplicate(now, Peer::Server(1), 3));
        assert!(!t.duplicate(now, Peer::Server(1), 1));

        // One answer each, then one for server 1 that does not fit beside them: server 1's
        // own goes (the tie is broken towards it), not server 2's Execute answer.
        let mut t = Transport::new(1);
        t.remember(now, Peer::Server(1), 1, &[0; 1200]);
        t.remember(now, Peer::Server(2), 7, &[0; 6]);
        t.remember(now, Peer::Server(1), 2, &[0; 1200]);
        assert!(
            cached(&t, Peer::Server(2), 7),
            "server 2's Execute answer stays"
        );
        assert!(cached(&t, Peer::Server(1), 2) && !cached(&t, Peer::Server(1), 1));
    }

    #[test]
    fn jitter_stays_within_its_bound_and_spreads_over_it() {
        let mut rng = Rng::new(7);
        for max in [0, 1, 1000, 150_000, u64::from(u32::MAX), u64::MAX] {
            let draws: std::vec::Vec<u64> = (0..2000).map(|_| rng.up_to(max)).collect();
            let limit = max.min(u64::from(u32::MAX));
            assert!(draws.iter().all(|&d| d <= limit), "max {max}");
            if max >= 1000 {
                // Both halves of the range are reached.
                assert!(draws.iter().any(|&d| d < limit / 2), "max {max}");
                assert!(draws.iter().any(|&d| d > limit / 2), "max {max}");
            }
        }
        assert_eq!(rng.up_to(0), 0);
    }
}
