//! `--format markdown`: results as a pull-request comment. The summary line comes first, what
//! destroys something is called out at the top, and each stack's detail sits in a collapsed
//! `<details>` block. GitHub refuses a comment body over 65,536 characters ([`LIMIT`]), so a
//! document that would be longer is cut: the summary and every destructive line stay, detail
//! lines go from the end, and the cut says how many lines it left out.
//!
//! Built only from what the text forms show (plans and drift carry no secret values, only
//! where secrets are kept), so markdown shows no more than text does.

pub mod drift;
pub mod plan;
pub mod tables;

/// GitHub's limit on an issue or pull-request comment's body, in characters. Documents are
/// kept under it counting bytes, which are never fewer than characters.
pub const LIMIT: usize = 65_536;

/// What the documents are cut to: room is left for a line CI adds (a marker to find its
/// comment again, docs/operations.md).
pub const BUDGET: usize = LIMIT - 200;

/// A markdown document before it is cut to size.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    /// The first line: what the result is, in numbers.
    pub summary: String,
    /// Short lines under the summary (the monthly cost change); kept whole.
    pub extra: Vec<String>,
    /// The heading of the destructive lines, shown when there are any.
    pub alert_title: String,
    /// Destructive lines (replace, delete, data at risk, production guard): kept whole.
    pub alerts: Vec<String>,
    /// The detail, one collapsed block each.
    pub sections: Vec<Section>,
    /// Where the whole result is, said when a cut leaves lines out.
    pub full: String,
}

/// One collapsed block: its title and its lines, in a code block or as markdown.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: String,
    /// Markdown lines (a table) before the lines, always shown with the block.
    pub head: Vec<String>,
    pub lines: Vec<String>,
    /// The lines are plain text, shown in a fenced code block.
    pub code: bool,
}

impl Section {
    fn fence(&self) -> String {
        // A fence longer than any run of backticks in the lines.
        let longest = self
            .lines
            .iter()
            .map(|l| longest_run(l, '`'))
            .max()
            .unwrap_or(0);
        "`".repeat(longest.max(2) + 1)
    }

    fn open(&self) -> String {
        let mut s = format!(
            "<details><summary>{}</summary>\n\n",
            escape_html(&self.title)
        );
        for h in &self.head {
            s.push_str(h);
            s.push('\n');
        }
        if self.code {
            s.push_str(&self.fence());
            s.push_str("text\n");
        }
        s
    }

    fn close(&self) -> String {
        if self.code {
            format!("{}\n\n</details>\n\n", self.fence())
        } else {
            "\n</details>\n\n".to_owned()
        }
    }
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// `<`, `>` and `&` as entities, for text inside HTML tags.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Room kept for the closing note of a cut document.
const NOTE_ROOM: usize = 400;

impl Doc {
    /// The document, under `limit` bytes.
    pub fn render(&self, limit: usize) -> String {
        let mut head = format!("{}\n\n", self.summary);
        for e in &self.extra {
            head.push_str(e);
            head.push('\n');
        }
        if !self.extra.is_empty() {
            head.push('\n');
        }
        let mut left_out = 0;
        if !self.alerts.is_empty() {
            // One blockquote: a blank line would end it (and GitHub's alert with it).
            head.push_str(&format!("{}\n>\n", self.alert_title));
            for (i, a) in self.alerts.iter().enumerate() {
                // Only destructive lines beyond the whole limit can be cut (a synthetic plan).
                if head.len() + a.len() + 1 + NOTE_ROOM > limit {
                    left_out += self.alerts.len() - i;
                    break;
                }
                head.push_str(a);
                head.push('\n');
            }
            head.push('\n');
        }
        let mut out = head;
        for s in &self.sections {
            left_out += self.section(&mut out, s, limit, left_out > 0);
        }
        if left_out > 0 {
            out.push_str(&format!(
                "_{left_out} lines left out to stay under GitHub's 65,536-character comment limit; the whole result: {}._\n",
                self.full
            ));
        }
        debug_assert!(out.len() < limit, "{} bytes", out.len());
        out
    }

    /// Adds as much of `s` as fits; returns how many of its lines were left out.
    fn section(&self, out: &mut String, s: &Section, limit: usize, cut: bool) -> usize {
        let (open, close) = (s.open(), s.close());
        if cut || out.len() + open.len() + close.len() + NOTE_ROOM > limit {
            return s.lines.len();
        }
        out.push_str(&open);
        let mut left = 0;
        for (i, l) in s.lines.iter().enumerate() {
            if out.len() + l.len() + 1 + close.len() + NOTE_ROOM > limit {
                left = s.lines.len() - i;
                break;
            }
            out.push_str(l);
            out.push('\n');
        }
        out.push_str(&close);
        left
    }
}

/// A cell of a markdown table: `|` escaped, on one line.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lines: usize) -> Doc {
        Doc {
            summary: "**Plan: 1 to replace**".into(),
            extra: vec!["cost".into()],
            alert_title: "**Destructive**".into(),
            alerts: vec!["- replace `backend.rds`".into()],
            sections: vec![
                Section {
                    title: "shared <1>".into(),
                    lines: (0..lines).map(|i| format!("line {i} `a`")).collect(),
                    code: true,
                    ..Section::default()
                },
                Section {
                    title: "console".into(),
                    lines: vec!["last".into()],
                    code: true,
                    ..Section::default()
                },
            ],
            full: "`provision plan`".into(),
        }
    }

    #[test]
    fn a_small_document_is_whole_summary_first() {
        let out = doc(3).render(LIMIT);
        assert!(out.starts_with("**Plan: 1 to replace**\n"), "{out}");
        assert!(
            out.contains("<details><summary>shared &lt;1&gt;</summary>"),
            "{out}"
        );
        assert!(out.contains("```text\nline 0 `a`\n"), "{out}");
        assert!(out.contains("last\n```\n\n</details>"), "{out}");
        assert!(!out.contains("left out"), "{out}");
        assert!(out.find("replace `backend.rds`") < out.find("<details>"));
    }

    #[test]
    fn a_long_document_is_cut_keeping_the_summary_and_the_destructive_lines() {
        let out = doc(10_000).render(LIMIT);
        assert!(out.len() < LIMIT, "{}", out.len());
        assert!(out.starts_with("**Plan: 1 to replace**\n"));
        assert!(out.contains("- replace `backend.rds`"));
        // Every line is either shown or counted.
        let shown = out.lines().filter(|l| l.starts_with("line ")).count();
        let left = 10_000 - shown + 1;
        assert!(
            out.contains(&format!(
                "_{left} lines left out to stay under GitHub's 65,536"
            )),
            "{}",
            &out[out.len() - 300..]
        );
        // The cut block is closed: fences and details balance.
        assert_eq!(
            out.matches("<details>").count(),
            out.matches("</details>").count()
        );
        assert_eq!(out.matches("```").count() % 2, 0);
    }
}
