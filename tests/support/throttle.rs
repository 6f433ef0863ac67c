//! A tiny HTTP proxy in front of moto that answers the first matching requests with an AWS
//! throttling error, then forwards. It also records every request, so tests can count calls
//! (e.g. exactly one ChangeResourceRecordSets per action).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One request the proxy saw: method, path, and the error code it answered with (if any).
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The request line and headers.
    pub head: String,
    pub body: String,
    pub throttled_with: Option<String>,
}

/// A running proxy. Its thread ends with the test process.
pub struct Throttle {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// Error codes still to answer with, in order, for requests whose method is `on_method`.
    pub pending: Arc<Mutex<Vec<String>>>,
    /// How many more `GetChange` answers to turn from INSYNC into PENDING.
    pub changes_pending: Arc<AtomicUsize>,
}

impl Throttle {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
    /// Answer the next `codes.len()` requests with `method` with these error codes.
    pub fn fail_next(&self, codes: &[&str]) {
        if let Ok(mut p) = self.pending.lock() {
            *p = codes.iter().map(|c| c.to_string()).collect();
        }
    }
}

/// Start a proxy to `upstream_port`; `on_method` picks which requests may be throttled.
pub fn start(upstream_port: u16, on_method: &'static str) -> Throttle {
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => panic!("proxy bind: {e}"),
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let pending = Arc::new(Mutex::new(Vec::<String>::new()));
    let changes_pending = Arc::new(AtomicUsize::new(0));
    let (s, p, c) = (seen.clone(), pending.clone(), changes_pending.clone());
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let (s, p, c) = (s.clone(), p.clone(), c.clone());
            std::thread::spawn(move || {
                let _ = serve(conn, upstream_port, on_method, &s, &p, &c);
            });
        }
    });
    Throttle {
        port,
        seen,
        pending,
        changes_pending,
    }
}

fn serve(
    mut client: TcpStream,
    upstream: u16,
    on_method: &str,
    seen: &Mutex<Vec<Seen>>,
    pending: &Mutex<Vec<String>>,
    changes_pending: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        if !line.to_ascii_lowercase().starts_with("connection:") && !end {
            head.push(line);
        }
        if end {
            break;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let request_line = head.first().cloned().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let code = if method == on_method {
        pending.lock().ok().and_then(|mut p| {
            if p.is_empty() {
                None
            } else {
                Some(p.remove(0))
            }
        })
    } else {
        None
    };
    if let Ok(mut s) = seen.lock() {
        s.push(Seen {
            method,
            path: path.clone(),
            head: head.join(""),
            body: String::from_utf8_lossy(&body).to_string(),
            throttled_with: code.clone(),
        });
    }
    if let Some(code) = code {
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>Rate exceeded (test proxy)</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
        );
        write!(
            client,
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
            xml.len()
        )?;
        return Ok(());
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    for h in &head {
        up.write_all(h.as_bytes())?;
    }
    up.write_all(b"Connection: close\r\n\r\n")?;
    up.write_all(&body)?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).to_string();
    let (rhead, rbody) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut rbody = rbody.to_string();
    let still_pending = path.contains("/change/")
        && changes_pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if still_pending {
        rbody = rbody.replace("<Status>INSYNC</Status>", "<Status>PENDING</Status>");
    }
    // Tell the client this connection ends here, so it reconnects for the next request.
    let rhead: Vec<&str> = rhead
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !l.starts_with("connection:") && !l.starts_with("content-length:")
        })
        .collect();
    write!(
        client,
        "{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{rbody}",
        rhead.join("\r\n"),
        rbody.len()
    )?;
    Ok(())
}
