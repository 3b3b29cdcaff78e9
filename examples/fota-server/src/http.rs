//! HTTP for a PULL: one image served at one path, with single-range requests (RFC 9110,
//! 14), on tiny_http.

use std::io::{self, Cursor, Read};
use std::net::TcpListener;
use std::sync::Arc;

use tiny_http::{Header, Request, Response, StatusCode};

/// A response whose body is read from anywhere.
type Answer = Response<Box<dyn Read + Send>>;

/// Serves `image` at `/path` on `listener` in a background thread.
pub fn spawn(listener: TcpListener, path: String, image: Arc<[u8]>) -> io::Result<()> {
    let server = tiny_http::Server::from_listener(listener, None).map_err(io::Error::other)?;
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let response = answer(&request, &path, &image);
                if let Err(e) = request.respond(response) {
                    log::info!(target: crate::LOG, "HTTP: a response did not go whole: {e}");
                }
            }
        })?;
    Ok(())
}

/// The answer to one request: 404 for another path or method, 416 for a range past the
/// end, 206 with Content-Range for a range, 200 with the whole image otherwise.
fn answer(request: &Request, path: &str, image: &Arc<[u8]>) -> Answer {
    let found = matches!(request.method(), tiny_http::Method::Get)
        && request.url().trim_start_matches('/') == path;
    if !found {
        return respond(404, io::empty(), 0, 0, None);
    }
    let total = image.len();
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| range(h.value.as_str(), total));
    let (status, start, end) = match range {
        None | Some(Range::Ignored) => (200, 0, total),
        Some(Range::Unsatisfiable) => {
            let header = format!("bytes */{total}");
            return respond(416, io::empty(), 0, 0, Some(header));
        }
        Some(Range::Bytes(start, end)) => (206, start, end),
    };
    let content_range = (status == 206).then(|| format!("bytes {start}-{}/{total}", end - 1));
    let body = Body {
        image: Arc::clone(image),
        at: start,
        end,
    };
    respond(status, body, start, end, content_range)
}

fn respond(
    status: u16,
    body: impl Read + Send + 'static,
    start: usize,
    end: usize,
    content_range: Option<String>,
) -> Answer {
    let mut headers = Vec::new();
    if let Some(value) = content_range
        && let Ok(h) = Header::from_bytes("Content-Range", value)
    {
        headers.push(h);
    }
    if let Ok(h) = Header::from_bytes("Accept-Ranges", "bytes") {
        headers.push(h);
    }
    // The length is known: Content-Length, never chunked.
    Response::new(
        StatusCode(status),
        headers,
        Box::new(body) as Box<dyn Read + Send>,
        Some(end - start),
        None,
    )
    .with_chunked_threshold(usize::MAX)
}

/// What a Range header asks for.
#[derive(Debug, PartialEq)]
enum Range {
    /// Bytes `start..end`.
    Bytes(usize, usize),
    /// Nothing of the image: 416.
    Unsatisfiable,
    /// Something this server does not serve as a range (several ranges, another unit, a
    /// malformed header): the whole image, as RFC 9110 allows.
    Ignored,
}

/// `bytes=N-`, `bytes=N-M` or `bytes=-N` against an image of `total` bytes.
fn range(value: &str, total: usize) -> Range {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    // Digits only: no sign, no space inside.
    let number = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<usize>().ok())
            .flatten()
    };
    if first.trim().is_empty() {
        // The last N bytes.
        return match number(last) {
            Some(n) if n > 0 && total > 0 => Range::Bytes(total - n.min(total), total),
            Some(_) => Range::Unsatisfiable,
            None => Range::Ignored,
        };
    }
    let Some(start) = number(first) else {
        return Range::Ignored;
    };
    let end = match last.trim() {
        "" => None,
        l => match number(l) {
            Some(end) if end >= start => Some(end),
            _ => return Range::Ignored,
        },
    };
    if start >= total {
        return Range::Unsatisfiable;
    }
    Range::Bytes(start, end.map_or(total, |e| e.saturating_add(1).min(total)))
}

/// The bytes `at..end` of the image.
struct Body {
    image: Arc<[u8]>,
    at: usize,
    end: usize,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = Cursor::new(self.image.get(self.at..self.end).unwrap_or_default()).read(buf)?;
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        for (value, want) in [
            ("bytes=0-", Range::Bytes(0, 100)),
            ("bytes=40-", Range::Bytes(40, 100)),
            ("bytes=40-49", Range::Bytes(40, 50)),
            ("bytes=40-1000", Range::Bytes(40, 100)),
            ("bytes=-10", Range::Bytes(90, 100)),
            ("bytes=-1000", Range::Bytes(0, 100)),
            ("bytes=100-", Range::Unsatisfiable),
            ("bytes=-0", Range::Unsatisfiable),
            ("bytes=50-40", Range::Ignored),
            ("bytes=200-100", Range::Ignored),
            ("bytes=-", Range::Ignored),
            ("bytes=-x", Range::Ignored),
            ("bytes=+5-", Range::Ignored),
            ("bytes= 40 - 49", Range::Bytes(40, 50)),
            ("bytes=0-10,20-30", Range::Ignored),
            ("items=0-10", Range::Ignored),
            ("bytes=x-", Range::Ignored),
        ] {
            assert_eq!(range(value, 100), want, "{value}");
        }
    }
}
