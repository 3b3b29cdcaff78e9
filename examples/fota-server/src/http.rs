//! A minimal HTTP/1.1 server for one image, with Range requests, for HTTP PULL.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// Serves `image` at `/path` on `listener` in a background thread, one connection at a time.
/// With `drop_first_after`, the first response stops after that many body bytes, as a
/// connection lost mid-download would (the client must resume with a Range request).
pub fn spawn(
    listener: TcpListener,
    path: String,
    image: Arc<Vec<u8>>,
    drop_first_after: Option<usize>,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            let mut cut = drop_first_after;
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &path, &image, cut.take());
            }
        })?;
    Ok(())
}

fn serve(stream: TcpStream, path: &str, image: &[u8], cut: Option<usize>) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut range_start = None;
    for _ in 0..64 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("range")
        {
            range_start = v
                .trim()
                .strip_prefix("bytes=")
                .and_then(|r| r.split('-').next())
                .and_then(|s| s.parse::<usize>().ok());
        }
    }
    let mut out = stream;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next(), parts.next());
    if method != Some("GET") || target.map(|t| t.trim_start_matches('/')) != Some(path) {
        return write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }
    match range_start {
        Some(start) if start >= image.len() => write!(
            out,
            "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            image.len()
        ),
        Some(start) => {
            write!(
                out,
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                image.len() - 1,
                image.len(),
                image.len() - start
            )?;
            let end = cut.map_or(image.len(), |c| (start + c).min(image.len()));
            out.write_all(&image[start..end])
        }
        None => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                image.len()
            )?;
            out.write_all(&image[..cut.unwrap_or(image.len()).min(image.len())])
        }
    }
}
