//! A step's output: every byte saved with a timestamp per line, and a sanitised, rate-limited
//! copy for the screen. Hostile output (megabytes, ANSI escapes, invalid UTF-8, lines with
//! no end) never reaches a terminal raw, and memory stays bounded whatever the step prints.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use crate::Progress;

/// The longest line kept whole; longer ones are saved in pieces of this size.
pub const MAX_LINE: usize = 16 * 1024;
/// Longest line shown on screen (the file has all of it).
const SHOWN_CHARS: usize = 300;
/// Lines per second shown on screen before the rest are only counted.
const SHOWN_PER_SECOND: f64 = 500.0;

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// One line (or a piece of a very long one) as read.
pub struct Line {
    pub stream: Stream,
    pub at: SystemTime,
    pub bytes: Vec<u8>,
}

/// Read a pipe in chunks and send it line by line; a line longer than `MAX_LINE` is sent
/// in pieces so no line can grow without bound.
pub async fn read_lines<R: tokio::io::AsyncRead + Unpin>(
    mut pipe: R,
    stream: Stream,
    tx: mpsc::Sender<Line>,
) {
    let mut buf = vec![0u8; 8192];
    let mut line = Vec::new();
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' || line.len() >= MAX_LINE {
                let bytes = std::mem::take(&mut line);
                let sent = tx
                    .send(Line {
                        stream,
                        at: SystemTime::now(),
                        bytes,
                    })
                    .await;
                if sent.is_err() {
                    return;
                }
                if b == b'\n' {
                    continue;
                }
            }
            line.push(b);
        }
    }
    if !line.is_empty() {
        let _ = tx
            .send(Line {
                stream,
                at: SystemTime::now(),
                bytes: line,
            })
            .await;
    }
}

/// Where a step's lines go: the evidence file (all of them) and the screen (some).
pub struct Sink {
    file: std::io::BufWriter<std::fs::File>,
    pub bytes: u64,
    pub lines: u64,
    screen: Screen,
}

impl Sink {
    pub fn new(file: std::fs::File, screen: Screen) -> Sink {
        Sink {
            file: std::io::BufWriter::new(file),
            bytes: 0,
            lines: 0,
            screen,
        }
    }

    /// Save a line as `TIME out|err BYTES` and show it if the screen has room.
    pub fn line(&mut self, line: &Line) -> std::io::Result<()> {
        let tag = match line.stream {
            Stream::Out => "out",
            Stream::Err => "err",
        };
        let at = humantime::format_rfc3339_millis(line.at);
        write!(self.file, "{at} {tag} ")?;
        self.file.write_all(&line.bytes)?;
        self.file.write_all(b"\n")?;
        self.bytes += line.bytes.len() as u64 + 1;
        self.lines += 1;
        self.screen.show(&line.bytes);
        Ok(())
    }

    /// A note of meridian's own in the output (`--- ...`), saved and shown.
    pub fn note(&mut self, text: &str) -> std::io::Result<()> {
        let at = humantime::format_rfc3339_millis(SystemTime::now());
        writeln!(self.file, "{at} --- {text}")?;
        self.screen.say(text);
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<u64> {
        self.file.flush()?;
        self.file.get_ref().sync_data()?;
        self.screen.flush();
        Ok(self.bytes)
    }
}

/// The on-screen copy: a prefix per line, sanitised, at most `SHOWN_PER_SECOND` lines a
/// second (a token bucket); what is held back is counted and reported.
pub struct Screen {
    progress: Progress,
    prefix: String,
    tokens: f64,
    last: Instant,
    hidden: Arc<AtomicU64>,
    file_name: String,
}

impl Screen {
    pub fn new(progress: Progress, prefix: String, file_name: String) -> Screen {
        Screen {
            progress,
            prefix,
            tokens: SHOWN_PER_SECOND,
            last: Instant::now(),
            hidden: Arc::new(AtomicU64::new(0)),
            file_name,
        }
    }

    fn show(&mut self, bytes: &[u8]) {
        let now = Instant::now();
        self.tokens = (self.tokens
            + now.duration_since(self.last).as_secs_f64() * SHOWN_PER_SECOND)
            .min(SHOWN_PER_SECOND);
        self.last = now;
        if self.tokens < 1.0 {
            self.hidden.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.tokens -= 1.0;
        self.flush();
        let text = sanitize(bytes, SHOWN_CHARS);
        self.progress.say(&format!("{} {text}", self.prefix));
    }

    fn say(&mut self, text: &str) {
        self.flush();
        self.progress.say(&format!("{} {text}", self.prefix));
    }

    /// Report lines held back since the last report.
    fn flush(&mut self) {
        let n = self.hidden.swap(0, Ordering::Relaxed);
        if n > 0 {
            self.progress.say(&format!(
                "{} … {n} lines not shown here (too fast); all of them are in {}",
                self.prefix, self.file_name
            ));
        }
    }
}

/// Output made safe for a terminal: invalid UTF-8 replaced, ANSI escape sequences and other
/// control characters removed (tabs become spaces), cut to `max` characters.
pub fn sanitize(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len().min(max + 4));
    let mut chars = text.chars().peekable();
    let mut count = 0;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            // Bidirectional overrides can make a line read as something it is not.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
        count = out.chars().count();
        if count > max {
            break;
        }
    }
    if count > max {
        let cut: String = out.chars().take(max).collect();
        return format!("{cut}…");
    }
    out
}

/// Skip one escape sequence after ESC: CSI (`[` ... final byte), OSC (`]` ... BEL or ST),
/// or a two-character sequence.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars>) {
    match chars.next() {
        Some('[') => {
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
        Some(']') | Some('P') | Some('_') | Some('^') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                    chars.next();
                    break;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bad_utf8_are_removed() {
        let raw = b"\x1b[31mred\x1b[0m \x1b]0;title\x07ok\tdone\r\x07 \xff\xfe end";
        assert_eq!(sanitize(raw, 100), "red ok done \u{fffd}\u{fffd} end");
        assert_eq!(sanitize("abcdef".as_bytes(), 3), "abc…");
        assert_eq!(sanitize("\u{202e}evil".as_bytes(), 10), "evil");
    }

    #[tokio::test]
    async fn long_lines_come_in_pieces() {
        let data = vec![b'x'; MAX_LINE * 2 + 10];
        let (tx, mut rx) = mpsc::channel(8);
        let reader = tokio::spawn(read_lines(std::io::Cursor::new(data), Stream::Out, tx));
        let mut sizes = Vec::new();
        while let Some(l) = rx.recv().await {
            sizes.push(l.bytes.len());
        }
        let _ = reader.await;
        assert_eq!(sizes, vec![MAX_LINE, MAX_LINE, 10]);
    }
}
