//! The board's HTTP download (a PULL of an `http://` Package URI): a thread that GETs the
//! image with a Range from where the board stands, and streams it to the board in chunks.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
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

/// GETs `uri` from byte `offset` on (a Range request), streaming chunks into `tx`.
fn http_get(
    uri: &str,
    offset: u32,
    tx: &mpsc::SyncSender<HttpChunk>,
) -> Result<(), (String, bool)> {
    let rest = uri
        .strip_prefix("http://")
        .ok_or_else(|| (format!("{uri}: only http:// is downloaded here"), false))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_port = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| (format!("{authority}: no address"), false))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| (format!("{authority}: {e}"), true))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {authority}\r\nRange: bytes={offset}-\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| (format!("{authority}: {e}"), true))?;
    // The head, at most 8 KiB.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 {
            return Err(("the HTTP response head is too long".into(), false));
        }
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            Ok(_) => return Err(("the connection closed in the response head".into(), true)),
            Err(e) => return Err((format!("reading the response: {e}"), true)),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ("not an HTTP response".to_owned(), false))?;
    let mut skip = match status {
        206 => 0,
        200 => offset, // the server ignored the Range: skip what we have
        404 => return Err((format!("{uri}: 404 Not Found"), false)),
        s => return Err((format!("{uri}: HTTP {s}"), false)),
    };
    let length: Option<u64> = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    });
    let mut at = offset;
    let mut received = 0u64;
    let mut chunk = vec![0u8; 4096];
    loop {
        let n = stream
            .read(&mut chunk)
            .map_err(|e| (format!("reading the body: {e}"), true))?;
        if n == 0 {
            break;
        }
        received += n as u64;
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
    if length.is_some_and(|l| received < l) {
        return Err((
            format!(
                "the connection closed after {received} of {} bytes",
                length.unwrap_or(0)
            ),
            true,
        ));
    }
    Ok(())
}
