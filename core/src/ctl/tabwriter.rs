//! A port of the part of Go's `text/tabwriter` etcdctl's help uses (minwidth 0, tabwidth 8, padding 1,
//! tab as the pad character): tab-terminated cells in consecutive lines form columns, each padded with
//! tabs to a common width rounded up to a multiple of 8.

const TAB_WIDTH: usize = 8;
const PADDING: usize = 1;

/// Aligns `text` as etcdctl's tabwriter does.
pub fn align(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|cells| vec![0; cells.len().saturating_sub(1)]).collect();
    for col in 0.. {
        let mut any = false;
        let mut start = 0;
        while start < lines.len() {
            if lines[start].len() - 1 <= col {
                start += 1;
                continue;
            }
            any = true;
            let mut end = start;
            while end < lines.len() && lines[end].len() - 1 > col {
                end += 1;
            }
            let max = (start..end).map(|i| lines[i][col].chars().count()).max().unwrap_or(0);
            let width = (max + PADDING).div_ceil(TAB_WIDTH) * TAB_WIDTH;
            for w in &mut widths[start..end] {
                w[col] = width;
            }
            start = end;
        }
        if !any {
            break;
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    for (i, cells) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for (c, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if c + 1 < cells.len() {
                let pad = widths[i][c] - cell.chars().count();
                out.extend(std::iter::repeat_n('\t', pad.div_ceil(TAB_WIDTH)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_flag_columns_with_tabs() {
        let text = "  -h, --help[=false]\thelp for put\n      --ignore-lease[=false]\tupdates\nOPTIONS:\n\tadd\tAdds";
        assert_eq!(
            align(text),
            "  -h, --help[=false]\t\thelp for put\n      --ignore-lease[=false]\tupdates\nOPTIONS:\n\tadd\tAdds"
        );
    }
}
