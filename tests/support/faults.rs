//! Servers that misbehave on purpose, on 127.0.0.1: the ways a backend fails at 03:00.
//! Each listens on its own port and treats every connection the same way, whatever the
//! protocol, so one server serves the AWS SDK, PostgreSQL and Redis clients alike.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// How a fault server answers.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Accept, read, and never answer (a black-holed load balancer, a frozen process).
    BlackHole,
    /// Answer with `reply` after `delay` (slower than any sane deadline).
    Slow(Duration, Vec<u8>),
    /// Answer with these bytes at once (an HTTP 5xx, a throttling error, garbage).
    Reply(Vec<u8>),
    /// Answer every Redis command with these bytes (a client pipelines set-up commands).
    RedisReply(Vec<u8>),
    /// Accept and close at once.
    Close,
}

/// A running fault server; its threads end with the test process.
pub struct FaultServer {
    pub port: u16,
}

impl FaultServer {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Start a server that answers every connection with `fault`.
pub fn start(fault: Fault) -> FaultServer {
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => panic!("fault server bind: {e}"),
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let fault = fault.clone();
            std::thread::spawn(move || serve(conn, fault));
        }
    });
    FaultServer { port }
}

fn serve(mut conn: TcpStream, fault: Fault) {
    // Every client here speaks first (an HTTP request, PostgreSQL's start-up packet, a Redis
    // command); read it before misbehaving.
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 65536];
    let _ = conn.read(&mut buf);
    match fault {
        Fault::BlackHole => {
            // Keep the socket open, unanswered, for far longer than any deadline.
            std::thread::sleep(Duration::from_secs(600));
        }
        Fault::Slow(delay, reply) => {
            std::thread::sleep(delay);
            let _ = conn.write_all(&reply);
            std::thread::sleep(Duration::from_secs(60));
        }
        Fault::Reply(reply) => {
            // The same answer to every request on the connection (a Redis client sends a
            // set-up command before the one that matters).
            loop {
                if conn.write_all(&reply).and_then(|_| conn.flush()).is_err() {
                    break;
                }
                match conn.read(&mut buf) {
                    Ok(n) if n > 0 => {}
                    _ => break,
                }
            }
        }
        Fault::RedisReply(reply) => {
            let mut n = commands(&buf);
            while n > 0 {
                for _ in 0..n {
                    if conn.write_all(&reply).is_err() {
                        return;
                    }
                }
                n = match conn.read(&mut buf) {
                    Ok(read) if read > 0 => commands(&buf[..read]),
                    _ => 0,
                };
            }
        }
        Fault::Close => {}
    }
}

/// How many RESP commands (arrays) a read holds: each needs its own reply.
fn commands(buf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(buf);
    let text = text.trim_end_matches('\0');
    text.match_indices('*')
        .filter(|(i, _)| *i == 0 || text[..*i].ends_with("\r\n"))
        .filter(|(i, _)| {
            text[i + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .count()
        .max(1)
}

/// An HTTP response with a status line, content type and body.
pub fn http(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An AWS query-protocol error response (CloudWatch's awsQuery, Route 53's REST-XML).
pub fn aws_error(status: &str, code: &str, message: &str) -> Vec<u8> {
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
    );
    http(status, "text/xml", &xml)
}

/// A port with nothing listening on it (connections are refused).
pub fn refused_port() -> u16 {
    super::free_port()
}

/// A PostgreSQL ErrorResponse message (what a server at its connection limit says).
pub fn pg_error(code: &str, message: &str) -> Vec<u8> {
    let mut fields = Vec::new();
    for (tag, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', code),
        (b'M', message),
    ] {
        fields.push(tag);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut msg = vec![b'E'];
    msg.extend_from_slice(&((fields.len() + 4) as i32).to_be_bytes());
    msg.extend_from_slice(&fields);
    msg
}
