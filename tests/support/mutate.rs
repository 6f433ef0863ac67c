//! The mutator of tests/cli/fuzz_parsers.rs: a seeded generator and mutations that break
//! parsers (bytes flipped, tokens and edge numbers inserted, lines cut, swapped, copied and
//! spliced from other files of the corpus).

/// splitmix64: small, seedable, good enough to pick mutations.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Tokens that break parsers: TOML punctuation, edge numbers, odd text, bytes that are not
/// UTF-8, and keys the real files use.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"{",
    b"}",
    b"=",
    b"\n",
    b",",
    b"#",
    b"\"\"\"",
    b"\\",
    b"\r\n",
    b"\t",
    b" ",
    b"-1",
    b"0",
    b"256",
    b"99999999999",
    b"1e308",
    b"-1e-300",
    b"nan",
    b"inf",
    b"-9223372036854775808",
    b"9223372036854775807",
    b"18446744073709551616",
    b"true",
    b"\"\"",
    b"\xff",
    b"\xc3\x28",
    b"\xef\xbb\xbf",
    b"\xe2\x82",
    "é✓".as_bytes(),
    b"\"primary\"",
    b"\"secondary\"",
    b"inherits = \"dark\"\n",
    b"inherits = \"other\"\n",
    b"inherits = \"mine\"\n",
    b"inherits = \"vim\"\n",
    b"[roles]\n",
    b"[normal]\n",
    b"[modal]\n",
    b"\"ctrl-x\" = \"quit\"\n",
    b"\"g g\" = \"go-top\"\n",
    b"\"g\" = \"none\"\n",
    b"[[regions]]\n",
    b"[[tenants]]\n",
    b"[[phases]]\n",
    b"[fleet]\nname = \"x\"\n",
    b"steady_weight = 300\n",
    b"dsn_env = \"postgres://u:secret@h/db\"\n",
    b"provider = \"postgres\"\n",
    b"provider = \"nope\"\n",
    b"{ fg = \"#zzzzzz\" }",
    b"{ fg = \"red\", bold = 1 }",
];

/// Numbers the fuzzer swaps in for numbers it finds.
const EDGE_NUMBERS: &[&str] = &[
    "-1",
    "0",
    "255",
    "256",
    "4294967296",
    "99999999999999999999",
    "-0",
    "+1",
    "1.5",
    "1e400",
    "0x10",
    "nan",
    "inf",
    "1_000",
];

pub fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(9) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            1 | 2 => {
                let t = rng.pick(TOKENS);
                b.splice(at..at, t.iter().copied());
            }
            3 if !b.is_empty() => {
                let end = (at + 1 + rng.below(40)).min(b.len());
                b.drain(at.min(end)..end);
            }
            4 => b.truncate(at),
            5 => {
                let mut lines: Vec<Vec<u8>> =
                    b.split(|c| *c == b'\n').map(<[u8]>::to_vec).collect();
                let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
                if rng.below(2) == 0 {
                    lines.swap(i, j);
                } else {
                    let copy = lines[i].clone();
                    lines.insert(j, copy);
                }
                b = lines.join(&b'\n');
            }
            6 => {
                let other = rng.pick(corpus);
                let lines: Vec<&[u8]> = other.split(|c| *c == b'\n').collect();
                let line = rng.pick(&lines);
                let mut piece = line.to_vec();
                piece.push(b'\n');
                b.splice(at..at, piece);
            }
            7 => {
                // Replace the next number with an edge number.
                if let Some(start) = b[at..].iter().position(u8::is_ascii_digit) {
                    let start = at + start;
                    let len = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
                    let edge = rng.pick(EDGE_NUMBERS).as_bytes();
                    b.splice(start..start + len, edge.iter().copied());
                }
            }
            _ => {
                let long = vec![b'a' + rng.below(26) as u8; 1 + rng.below(500)];
                b.splice(at..at, long);
            }
        }
    }
    b
}
