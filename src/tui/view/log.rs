//! The log pane: actions, their progress and backend errors, via tui-logger.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Block;
use tui_logger::{TuiLoggerLevelOutput, TuiLoggerWidget};

use crate::tui::app::App;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, block: Block) {
    let t = &app.theme;
    let widget = TuiLoggerWidget::default()
        .block(block)
        .state(&app.log_view)
        .style(t.get(Role::Text))
        .style_error(t.get(Role::Danger))
        .style_warn(t.get(Role::Warn))
        .style_info(t.get(Role::Text))
        .style_debug(t.get(Role::Muted))
        .style_trace(t.get(Role::Muted))
        .output_separator(' ')
        .output_timestamp(Some("%H:%M:%S".to_string()))
        .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
        .output_target(false)
        .output_file(false)
        .output_line(false);
    frame.render_widget(widget, area);
}
