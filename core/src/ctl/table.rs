//! Tables as etcdctl draws them with olekukonko/tablewriter: upper-case headers centred, cells
//! right-aligned, `+---+` rules above and below the header and at the end.

/// Renders a table; every row has as many cells as there are headers.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(c, h)| rows.iter().map(|r| r[c].chars().count()).chain([h.chars().count()]).max().unwrap_or(0))
        .collect();
    let rule: String = widths.iter().map(|w| format!("+{}", "-".repeat(w + 2))).collect::<String>() + "+\n";
    let mut out = rule.clone();
    let header: String = headers.iter().zip(&widths).map(|(h, &w)| format!("| {} ", centre(h, w))).collect();
    out.push_str(&header);
    out.push_str("|\n");
    out.push_str(&rule);
    for row in rows {
        let line: String = row.iter().zip(&widths).map(|(c, &w)| format!("| {c:>w$} ")).collect();
        out.push_str(&line);
        out.push_str("|\n");
    }
    out.push_str(&rule);
    out
}

fn centre(s: &str, width: usize) -> String {
    let gap = width.saturating_sub(s.chars().count());
    let left = gap / 2;
    format!("{}{}{}", " ".repeat(left), s, " ".repeat(gap - left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_headers_right_aligned_cells() {
        let t = render(&["ENDPOINT", "ID"], &[vec!["127.0.0.1:23791".into(), "1".into()]]);
        assert_eq!(
            t,
            "+-----------------+----+\n|    ENDPOINT     | ID |\n+-----------------+----+\n| 127.0.0.1:23791 |  1 |\n+-----------------+----+\n"
        );
    }
}
