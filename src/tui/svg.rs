//! A rendered buffer as SVG: text, colours and modifiers per cell, so screenshots come
//! from the real renderer with no terminal involved.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;

/// Default colours of the imagined terminal (for `Color::Reset`).
#[derive(Debug, Clone, Copy)]
pub struct Canvas {
    pub fg: &'static str,
    pub bg: &'static str,
}

pub const DARK: Canvas = Canvas {
    fg: "#d0d0d0",
    bg: "#1b1d23",
};
pub const LIGHT: Canvas = Canvas {
    fg: "#202020",
    bg: "#fafafa",
};

fn hex(c: Color, fallback: &str) -> String {
    let named = |i: u8| -> &'static str {
        [
            "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
            "#767676", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
        ][i as usize % 16]
    };
    match c {
        Color::Reset => fallback.to_string(),
        Color::Black => named(0).into(),
        Color::Red => named(1).into(),
        Color::Green => named(2).into(),
        Color::Yellow => named(3).into(),
        Color::Blue => named(4).into(),
        Color::Magenta => named(5).into(),
        Color::Cyan => named(6).into(),
        Color::Gray => named(7).into(),
        Color::DarkGray => named(8).into(),
        Color::LightRed => named(9).into(),
        Color::LightGreen => named(10).into(),
        Color::LightYellow => named(11).into(),
        Color::LightBlue => named(12).into(),
        Color::LightMagenta => named(13).into(),
        Color::LightCyan => named(14).into(),
        Color::White => named(15).into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) if i < 16 => named(i).into(),
        Color::Indexed(i) if i >= 232 => {
            let v = 8 + (i - 232) as u32 * 10;
            format!("#{v:02x}{v:02x}{v:02x}")
        }
        Color::Indexed(i) => {
            let i = i - 16;
            let level = |n: u8| if n == 0 { 0 } else { 55 + n as u32 * 40 };
            format!(
                "#{:02x}{:02x}{:02x}",
                level(i / 36),
                level((i / 6) % 6),
                level(i % 6)
            )
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Render a buffer to an SVG document.
pub fn to_svg(buf: &Buffer, canvas: Canvas, title: &str) -> String {
    let area = buf.area;
    let (w, h) = (area.width as f64 * CELL_W, area.height as f64 * CELL_H);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.1} {h:.1}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14"><title>{}</title><rect width="100%" height="100%" fill="{}"/>"#,
        escape(title),
        canvas.bg
    );
    for y in 0..area.height {
        for x in 0..area.width {
            let cell = &buf[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (hex(cell.fg, canvas.fg), hex(cell.bg, canvas.bg));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let (px, py) = (x as f64 * CELL_W, y as f64 * CELL_H);
            if bg != canvas.bg {
                let _ = write!(
                    out,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{:.1}" height="{CELL_H}" fill="{bg}"/>"#,
                    CELL_W + 0.3
                );
            }
            let sym = cell.symbol();
            if sym.trim().is_empty() {
                continue;
            }
            let mut attrs = String::new();
            if cell.modifier.contains(Modifier::BOLD) {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if cell.modifier.contains(Modifier::ITALIC) {
                attrs.push_str(r#" font-style="italic""#);
            }
            if cell.modifier.contains(Modifier::DIM) {
                attrs.push_str(r#" opacity="0.6""#);
            }
            if cell.modifier.contains(Modifier::UNDERLINED) {
                attrs.push_str(r#" text-decoration="underline""#);
            }
            // Box-drawing and block glyphs are scaled to the cell so lines join up.
            let _ = write!(
                out,
                r#"<text x="{px:.1}" y="{:.1}" fill="{fg}"{attrs} textLength="{CELL_W}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                py + CELL_H * 0.78,
                escape(sym)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn cells_become_text_with_colours() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        buf.set_string(
            0,
            0,
            "a<",
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        );
        let svg = to_svg(&buf, DARK, "t");
        assert!(svg.contains(r##"fill="#cd3131" font-weight="bold""##));
        assert!(svg.contains("&lt;"));
        assert!(svg.starts_with("<svg"));
    }
}
