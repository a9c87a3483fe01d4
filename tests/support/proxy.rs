//! A small HTTP/1.1 proxy in front of the S3 test server, for fault and
//! latency tests: it can answer 503 SlowDown or 403, stall past the
//! client's timeout, cut a paginated listing, force small pages, or add
//! latency to every request. It counts what it saw.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What the proxy does to each request, decided by its number (0-based)
/// and whether it continues a paginated listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward everything.
    None,
    /// Answer the first `n` requests with 503 SlowDown, then forward.
    SlowDownFirst(usize),
    /// Answer every request with 403 AccessDenied.
    Forbidden,
    /// Stall the first `n` requests for the given time, then forward.
    StallFirst(usize, Duration),
    /// Ask for pages of 2 keys; drop the connection on every request for
    /// a later page.
    CutAfterFirstPage,
    /// Ask for pages of 2 keys; remove the continuation token from pages,
    /// so a truncated listing has no way on.
    DropContinuationToken,
    /// Ask for pages of 2 keys and forward (pagination works).
    SmallPages,
    /// The bucket lives in this region: a request signed for another one
    /// gets S3's 301 PermanentRedirect with `x-amz-bucket-region`.
    BucketInRegion(&'static str),
    /// Forward listings; stall every object read (GET without
    /// `list-type=2`) for the given time, then drop it.
    StallReads(Duration),
}

pub struct Proxy {
    pub url: String,
    requests: Arc<AtomicUsize>,
    lists: Arc<AtomicUsize>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`), adding
    /// `latency` before every forwarded request.
    pub fn start(upstream: &str, fault: Fault, latency: Duration) -> Proxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(AtomicUsize::new(0));
        let lists = Arc::new(AtomicUsize::new(0));
        let (r, l) = (Arc::clone(&requests), Arc::clone(&lists));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, r, l) = (upstream.clone(), Arc::clone(&r), Arc::clone(&l));
                std::thread::spawn(move || serve(client, &upstream, fault, latency, &r, &l));
            }
        });
        Proxy {
            url,
            requests,
            lists,
        }
    }

    /// Requests received (answered or not).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// ListObjectsV2 requests received.
    pub fn list_requests(&self) -> usize {
        self.lists.load(Ordering::SeqCst)
    }
}

struct Request {
    head: String,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { head, body })
}

fn serve(
    client: TcpStream,
    upstream: &str,
    fault: Fault,
    latency: Duration,
    requests: &AtomicUsize,
    lists: &AtomicUsize,
) {
    let Ok(writer) = client.try_clone() else {
        return;
    };
    let mut writer = writer;
    let mut reader = BufReader::new(client);
    while let Some(request) = read_request(&mut reader) {
        let n = requests.fetch_add(1, Ordering::SeqCst);
        let request_line = request.head.lines().next().unwrap_or_default().to_owned();
        let is_list = request_line.contains("list-type=2");
        if is_list {
            lists.fetch_add(1, Ordering::SeqCst);
        }
        let later_page = request_line.contains("continuation-token=");
        let small_pages = matches!(
            fault,
            Fault::CutAfterFirstPage | Fault::DropContinuationToken | Fault::SmallPages
        );
        let response = match fault {
            Fault::SlowDownFirst(k) if n < k => canned(
                503,
                "Slow Down",
                "SlowDown",
                "Please reduce your request rate.",
            ),
            Fault::Forbidden => canned(403, "Forbidden", "AccessDenied", "Access Denied"),
            Fault::CutAfterFirstPage if later_page => return, // connection dropped, no answer
            Fault::StallFirst(k, stall) if n < k => {
                std::thread::sleep(stall);
                return;
            }
            Fault::BucketInRegion(region)
                if !request.head.contains(&format!("/{region}/s3/aws4_request")) =>
            {
                redirect(region)
            }
            Fault::StallReads(stall) if request_line.starts_with("GET ") && !is_list => {
                std::thread::sleep(stall);
                return;
            }
            _ => {
                std::thread::sleep(latency);
                let mut head = request.head.clone();
                if small_pages && is_list {
                    head = head.replacen("list-type=2", "list-type=2&max-keys=2", 1);
                }
                let Some(mut response) = forward(upstream, &head, &request.body) else {
                    return;
                };
                if fault == Fault::DropContinuationToken && is_list {
                    response = drop_token(&response);
                }
                response
            }
        };
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

/// Sends one request upstream on a fresh connection and reads the whole answer.
fn forward(upstream: &str, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(upstream).ok()?;
    let head: String = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect();
    stream
        .write_all(format!("{head}Connection: close\r\n\r\n").as_bytes())
        .ok()?;
    stream.write_all(body).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    Some(response)
}

fn redirect(region: &str) -> Vec<u8> {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><RequestId>proxy</RequestId></Error>";
    format!(
        "HTTP/1.1 301 Moved Permanently\r\nx-amz-bucket-region: {region}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn canned(status: u16, reason: &str, code: &str, message: &str) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>proxy</RequestId></Error>"
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Removes `<NextContinuationToken>` from a listing and fixes the length.
fn drop_token(response: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(response);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return response.to_vec();
    };
    let body = match (
        body.find("<NextContinuationToken>"),
        body.find("</NextContinuationToken>"),
    ) {
        (Some(a), Some(b)) => format!(
            "{}{}",
            &body[..a],
            &body[b + "</NextContinuationToken>".len()..]
        ),
        _ => body.to_owned(),
    };
    let head: String = head
        .lines()
        .map(|l| {
            if l.to_ascii_lowercase().starts_with("content-length:") {
                format!("Content-Length: {}\r\n", body.len())
            } else {
                format!("{l}\r\n")
            }
        })
        .collect();
    format!("{head}\r\n{body}").into_bytes()
}
