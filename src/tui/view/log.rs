//! The log pane: actions, their progress and backend errors, via tui-logger, each event
//! formatted as `HH:MM:SS L message` with the message wrapping on word boundaries under
//! itself.

use log::Level;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;
use tui_logger::{ExtLogRecord, LogFormatter, TuiLoggerWidget};

use super::wrap::hanging;
use crate::tui::app::App;
use crate::tui::theme::{Role, Theme};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, block: Block) {
    let t = &app.theme;
    let widget = TuiLoggerWidget::default()
        .block(block)
        .state(&app.log_view)
        .style(t.get(Role::Text))
        .formatter(Box::new(Format::new(t)));
    frame.render_widget(widget, area);
}

/// The log's styles, copied out of the theme for tui-logger's formatter.
struct Format {
    time: Style,
    levels: [Style; 5],
}

impl Format {
    fn new(t: &Theme) -> Format {
        Format {
            time: t.get(Role::Muted),
            levels: [
                t.get(Role::Danger),
                t.get(Role::Warn),
                t.get(Role::Text),
                t.get(Role::Muted),
                t.get(Role::Muted),
            ],
        }
    }

    fn style(&self, level: Level) -> Style {
        self.levels[level as usize - 1]
    }
}

impl LogFormatter for Format {
    fn min_width(&self) -> u16 {
        20
    }

    fn format(&self, width: usize, evt: &ExtLogRecord) -> Vec<Line<'_>> {
        let time = evt.timestamp.strftime("%H:%M:%S").to_string();
        log_lines(self, &time, evt.level, evt.msg(), width)
    }
}

/// One event as lines: `time level ` as the lead, the message hanging under itself.
fn log_lines(f: &Format, time: &str, level: Level, msg: &str, width: usize) -> Vec<Line<'static>> {
    let style = f.style(level);
    let letter = &level.as_str()[..1];
    let lead = vec![
        Span::styled(format!("{time} "), f.time),
        Span::styled(format!("{letter} "), style),
    ];
    hanging(lead, msg, style, width)
}

/// The log's text for one event, as the pane would show it at `width` (for tests).
pub fn preview(theme: &Theme, time: &str, level: Level, msg: &str, width: usize) -> Vec<String> {
    super::wrap::plain(&log_lines(&Format::new(theme), time, level, msg, width))
}
