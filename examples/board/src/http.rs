//! The board's HTTP download (a PULL of an `http://` Package URI): a thread that GETs the
//! image with a Range from where the board stands, and streams it to the board in chunks.

use std::io::Read;
use std::sync::mpsc;
use std::time::Duration;

use crate::board::Board;

/// What the HTTP thread hands the board.
pub(crate) enum HttpChunk {
    Data(u32, Vec<u8>),
    Done,
    /// What went wrong, and whether resuming may help.
    Failed(String, bool),
}

pub(crate) fn start_http<F: embedded_storage::nor_flash::NorFlash>(
    board: &mut Board<F>,
) -> Option<mpsc::Receiver<HttpChunk>> {
    let (uri, offset) = board.external_download()?;
    let (tx, rx) = mpsc::sync_channel(8);
    std::thread::spawn(move || {
        let result = http_get(&uri, offset, &tx);
        let _ = tx.send(match result {
            Ok(()) => HttpChunk::Done,
            Err((e, retry)) => HttpChunk::Failed(e, retry),
        });
    });
    Some(rx)
}

/// GETs `uri` from byte `offset` on (a Range request), streaming chunks into `tx`. A 206
/// must say it starts at `offset` (Content-Range); a 200 is the whole image, whose first
/// `offset` bytes are skipped. Redirects and chunked bodies are followed (ureq).
fn http_get(
    uri: &str,
    offset: u32,
    tx: &mpsc::SyncSender<HttpChunk>,
) -> Result<(), (String, bool)> {
    if !uri.starts_with("http://") {
        return Err((format!("{uri}: only http:// is downloaded here"), false));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_recv_response(Some(Duration::from_secs(10)))
        // A body that stalls (no byte for 10 s) ends the attempt; the next resumes where this
        // one stopped. A slow one that keeps moving is not cut.
        .timeout_per_read(Some(STALL))
        .build()
        .into();
    let mut response = agent
        .get(uri)
        .header("Range", format!("bytes={offset}-"))
        .call()
        .map_err(|e| (format!("{uri}: {e}"), retryable(&e)))?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut skip = match response.status().as_u16() {
        206 => {
            let range = header("content-range").unwrap_or_default();
            if content_range_start(&range) != Some(u64::from(offset)) {
                return Err((
                    format!("{uri}: asked from byte {offset}, got Content-Range {range:?}"),
                    false,
                ));
            }
            0
        }
        200 => offset, // the server ignored the Range: skip what we have
        // Nothing from the offset on: done if the image is exactly that long.
        416 if header("content-range").as_deref().and_then(total_of) == Some(u64::from(offset)) => {
            return Ok(());
        }
        s => return Err((format!("{uri}: HTTP {s}"), s >= 500 || s == 408 || s == 429)),
    };
    let mut body = response.body_mut().as_reader();
    let mut at = offset;
    let mut chunk = vec![0u8; 4096];
    loop {
        let n = body.read(&mut chunk).map_err(|e| {
            (
                format!("the connection closed after {} bytes: {e}", at - offset),
                true,
            )
        })?;
        if n == 0 {
            return Ok(());
        }
        let mut data = chunk.get(..n).unwrap_or_default();
        if skip > 0 {
            let s = (skip as usize).min(data.len());
            data = data.get(s..).unwrap_or_default();
            skip -= s as u32;
        }
        if !data.is_empty() {
            tx.send(HttpChunk::Data(at, data.to_vec()))
                .map_err(|_| ("the board stopped listening".to_owned(), false))?;
            at += data.len() as u32;
        }
    }
}

/// The longest a download waits for its next bytes.
const STALL: Duration = Duration::from_secs(10);

/// Whether trying again (from where the download stands) may help.
fn retryable(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
    )
}

/// The length of `bytes */TOTAL` (RFC 9110, 14.4, in a 416).
fn total_of(value: &str) -> Option<u64> {
    value.trim().strip_prefix("bytes */")?.trim().parse().ok()
}

/// The first byte of `bytes FIRST-LAST/TOTAL` (RFC 9110, 14.4).
fn content_range_start(value: &str) -> Option<u64> {
    let (first, _) = value.trim().strip_prefix("bytes ")?.split_once('-')?;
    first.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::*;

    /// A server on loopback that answers each connection with the next of `answers` (its
    /// head, then its body) and gives back the request heads it read. Each answer says
    /// `Connection: close`, as the server closes after it: a client must not reuse it.
    fn scripted(answers: Vec<Vec<u8>>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let thread = std::thread::spawn(move || {
            let mut heads = Vec::new();
            for answer in answers {
                let (mut stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                heads.push(head);
                stream.write_all(&answer).unwrap();
            }
            heads
        });
        (base, thread)
    }

    /// What a download gave: the bytes at their offsets, or the error and whether to retry.
    type Got = Result<Vec<(u32, Vec<u8>)>, (String, bool)>;

    /// Downloads `uri` from `offset`.
    fn get(uri: &str, offset: u32) -> Got {
        let (tx, rx) = mpsc::sync_channel(1024);
        let result = http_get(uri, offset, &tx);
        drop(tx);
        result.map(|()| {
            rx.iter()
                .filter_map(|c| match c {
                    HttpChunk::Data(at, bytes) => Some((at, bytes)),
                    _ => None,
                })
                .collect()
        })
    }

    fn joined(chunks: &[(u32, Vec<u8>)], offset: u32) -> Vec<u8> {
        let mut at = offset;
        let mut all = Vec::new();
        for (o, bytes) in chunks {
            assert_eq!(*o, at, "chunks in order, without gaps");
            at += bytes.len() as u32;
            all.extend_from_slice(bytes);
        }
        all
    }

    #[test]
    fn a_range_is_asked_for_and_its_content_range_checked() {
        let (base, server) = scripted(vec![
            b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-9/10\r\nContent-Length: 6\r\nConnection: close\r\n\r\nefghij".to_vec(),
            b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/10\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabcdefghij".to_vec(),
        ]);
        let chunks = get(&format!("{base}/fw.bin"), 4).unwrap();
        assert_eq!(joined(&chunks, 4), b"efghij");
        // A 206 from another byte than asked for would put bytes in the wrong place.
        let (e, retry) = get(&format!("{base}/fw.bin"), 4).unwrap_err();
        assert!(
            e.contains("asked from byte 4, got Content-Range \"bytes 0-9/10\""),
            "{e}"
        );
        assert!(!retry);
        let heads = server.join().unwrap();
        assert!(
            heads[0].starts_with("GET /fw.bin HTTP/1.1\r\n"),
            "{}",
            heads[0]
        );
        assert!(
            heads[0]
                .to_ascii_lowercase()
                .contains("range: bytes=4-\r\n"),
            "{}",
            heads[0]
        );
    }

    #[test]
    fn a_whole_answer_is_skipped_to_the_offset_and_chunked_bodies_are_read() {
        let (base, server) = scripted(vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n".to_vec(),
        ]);
        let chunks = get(&format!("{base}/fw.bin"), 3).unwrap();
        assert_eq!(joined(&chunks, 3), b"defghij");
        server.join().unwrap();
    }

    #[test]
    fn a_redirect_is_followed_with_the_range() {
        let (base, server) = scripted(vec![
            b"HTTP/1.1 302 Found\r\nLocation: /moved.bin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 2-4/5\r\nContent-Length: 3\r\nConnection: close\r\n\r\ncde".to_vec(),
        ]);
        let chunks = get(&format!("{base}/fw.bin"), 2).unwrap();
        assert_eq!(joined(&chunks, 2), b"cde");
        let heads = server.join().unwrap();
        assert!(
            heads[1].starts_with("GET /moved.bin HTTP/1.1\r\n"),
            "{}",
            heads[1]
        );
        assert!(
            heads[1]
                .to_ascii_lowercase()
                .contains("range: bytes=2-\r\n"),
            "{}",
            heads[1]
        );
    }

    #[test]
    fn a_short_body_may_be_resumed_and_a_missing_file_may_not() {
        let (base, server) = scripted(vec![
            b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/10\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabcd".to_vec(),
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            b"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */10\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            b"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */12\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        ]);
        let (tx, rx) = mpsc::sync_channel(1024);
        let (e, retry) = http_get(&format!("{base}/fw.bin"), 0, &tx).unwrap_err();
        assert!(e.contains("the connection closed after 4 bytes"), "{e}");
        assert!(retry);
        assert!(matches!(rx.try_recv(), Ok(HttpChunk::Data(0, b)) if b == b"abcd"));
        let (e, retry) = get(&format!("{base}/fw.bin"), 0).unwrap_err();
        assert!(e.ends_with("HTTP 404"), "{e}");
        assert!(!retry);
        // Resumed at its end, the download is done; short of another end, it is refused.
        assert_eq!(get(&format!("{base}/fw.bin"), 10).unwrap(), []);
        let (e, retry) = get(&format!("{base}/fw.bin"), 10).unwrap_err();
        assert!(e.ends_with("HTTP 416"), "{e}");
        assert!(!retry);
        server.join().unwrap();
    }
}
