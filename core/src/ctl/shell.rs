//! Splits a console line into argv the way a POSIX shell would for simple cases: whitespace separates
//! words, single quotes keep text literally, double quotes allow `\"` and `\\`, a backslash escapes the
//! next character outside quotes.

/// A line that cannot be split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitError(pub String);

pub fn split(line: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(SplitError("unterminated single quote".into())),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => cur.push(ch),
                            Some(ch) => {
                                cur.push('\\');
                                cur.push(ch);
                            }
                            None => return Err(SplitError("unterminated double quote".into())),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err(SplitError("unterminated double quote".into())),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(ch) = chars.next() {
                    cur.push(ch);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(split("put foo bar").unwrap(), vec!["put", "foo", "bar"]);
        assert_eq!(split(r#"put k "a b" 'c "d"' e\ f ''"#).unwrap(), vec!["put", "k", "a b", "c \"d\"", "e f", ""]);
        assert!(split("put 'oops").is_err());
    }
}
