//! The one place the program writes to the terminal. A command's result is a value with a text
//! form and a JSON form ([`Render`]); the [`Printer`] puts the one `--format` asks for on stdout.
//! Notes, warnings and errors go to stderr through it as well, so stdout carries only results.
//! The library returns values and never prints.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use super::Format;
use crate::plan::render::Style;

/// What a command shows on stdout, in both formats.
pub trait Render {
    /// The text form, with its final newline. `style` says whether colour is wanted.
    fn text(&self, style: Style) -> String;
    /// The JSON document, with its final newline; `None` where the command has no JSON form yet
    /// (issue 12 gives them one), and then the text is shown in either format. Giving a command
    /// its JSON form is a `Serialize` impl and `pretty(self)` here.
    fn json(&self) -> Option<String>;
    /// The markdown form (`--format markdown`, `crate::markdown`); `None`: the text form in a
    /// code block.
    fn markdown(&self) -> Option<String> {
        None
    }
    /// A picture (`--format dot|mermaid|svg`, `graph`); `None`: the text form.
    fn picture(&self, _format: Format) -> Option<String> {
        None
    }
}

/// The usual JSON form: pretty-printed, one newline after.
pub fn pretty(value: &impl Serialize) -> Option<String> {
    Some(serde_json::to_string_pretty(value).expect("output serialises") + "\n")
}

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    format: Format,
    /// Results are not printed (notes and warnings are): a command that runs another's steps
    /// and shows one result of its own (`pause`, `resume`).
    quiet: bool,
}

impl Printer {
    pub fn new(format: Format) -> Self {
        Printer {
            format,
            quiet: false,
        }
    }

    /// The same printer, without results on stdout.
    pub fn quiet(self) -> Self {
        Printer {
            quiet: true,
            ..self
        }
    }

    pub fn format(self) -> Format {
        self.format
    }

    /// A command's result on stdout, in the format asked for.
    pub fn show(self, value: &impl Render) {
        if self.quiet {
            return;
        }
        let json = match self.format {
            Format::Json => value.json(),
            Format::Markdown => Some(value.markdown().unwrap_or_else(|| {
                let text = value.text(Style::plain());
                if text.is_empty() {
                    text
                } else {
                    format!("````text\n{text}````\n")
                }
            })),
            Format::Dot | Format::Mermaid | Format::Svg => value.picture(self.format),
            Format::Text => None,
        };
        // `print!` panics on a closed pipe; the panic hook in `cli::main` turns that into a
        // quiet exit, as for any Unix tool.
        match json {
            Some(doc) => print!("{doc}"),
            None => print!("{}", value.text(stdout_style())),
        }
    }

    /// The text form ahead of the result, in text format only: in JSON the result's one
    /// document carries it (apply shows its plan before asking, and again in the report).
    pub fn preview(self, value: &impl Render) {
        match self.format {
            Format::Text if !self.quiet => print!("{}", value.text(stdout_style())),
            Format::Markdown => self.show(value),
            _ => {}
        }
    }

    /// The JSON form, in JSON format only: the end of a result whose text was shown as it came
    /// (with `preview`).
    pub fn show_json(self, value: &impl Render) {
        if self.format == Format::Json {
            self.show(value);
        }
    }

    /// Text for the person at the terminal, on stderr, as given (newlines included).
    pub fn note(self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{text}");
        let _ = err.flush();
    }

    pub fn warn(self, message: impl std::fmt::Display) {
        eprintln!("warning: {message}");
    }
}

fn stdout_style() -> Style {
    Style::detect(std::io::stdout().is_terminal())
}

/// An error and its causes on stderr: `error: …`, then one `caused by:` line per cause that
/// the message does not already quote in full.
pub fn error(e: &dyn std::error::Error) {
    let mut said = e.to_string();
    eprintln!("error: {said}");
    let mut source = e.source();
    while let Some(cause) = source {
        // A cause the message already quotes in full says nothing new.
        let text = cause.to_string();
        if !said.contains(&text) {
            eprintln!("  caused by: {text}");
            said.push_str(&text);
        }
        source = cause.source();
    }
}
