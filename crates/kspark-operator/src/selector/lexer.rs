//! The tokens of a Kubernetes label selector string: words, the operator
//! symbols and the keywords `in` and `notin`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A key or a value (also `in`/`notin` where a value is expected: the
    /// parser decides).
    Word(String),
    In,
    NotIn,
    /// `!`, before a key: the key must be absent.
    Not,
    Equals,
    DoubleEquals,
    NotEquals,
    GreaterThan,
    LessThan,
    Open,
    Close,
    Comma,
}

impl Token {
    /// How the token reads in an error message.
    pub fn text(&self) -> &str {
        match self {
            Token::Word(w) => w,
            Token::In => "in",
            Token::NotIn => "notin",
            Token::Not => "!",
            Token::Equals => "=",
            Token::DoubleEquals => "==",
            Token::NotEquals => "!=",
            Token::GreaterThan => ">",
            Token::LessThan => "<",
            Token::Open => "(",
            Token::Close => ")",
            Token::Comma => ",",
        }
    }
}

/// The characters that end a word; `=` and `!` also start `==` and `!=`.
fn is_symbol(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '<' | '>')
}

/// Only these four separate tokens, as in Kubernetes (any other
/// character, other Unicode spaces included, is part of a word).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if is_space(c) {
            rest = &rest[c.len_utf8()..];
        } else if is_symbol(c) {
            let (token, width) = symbol(rest);
            out.push(token);
            rest = &rest[width..];
        } else {
            let end = rest.find(|c| is_space(c) || is_symbol(c)).unwrap_or(rest.len());
            out.push(word(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

/// The longest symbol at the start of `rest` (which starts with one).
fn symbol(rest: &str) -> (Token, usize) {
    if rest.starts_with("==") {
        return (Token::DoubleEquals, 2);
    }
    if rest.starts_with("!=") {
        return (Token::NotEquals, 2);
    }
    let token = match rest.as_bytes().first() {
        Some(b'=') => Token::Equals,
        Some(b'!') => Token::Not,
        Some(b'(') => Token::Open,
        Some(b')') => Token::Close,
        Some(b',') => Token::Comma,
        Some(b'<') => Token::LessThan,
        _ => Token::GreaterThan,
    };
    (token, 1)
}

fn word(text: &str) -> Token {
    match text {
        "in" => Token::In,
        "notin" => Token::NotIn,
        other => Token::Word(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Token {
        Token::Word(s.into())
    }

    #[test]
    fn words_symbols_and_keywords() {
        assert_eq!(
            tokens("env in (prod, staging),!legacy,a!=b,c==d,e>1"),
            [
                w("env"),
                Token::In,
                Token::Open,
                w("prod"),
                Token::Comma,
                w("staging"),
                Token::Close,
                Token::Comma,
                Token::Not,
                w("legacy"),
                Token::Comma,
                w("a"),
                Token::NotEquals,
                w("b"),
                Token::Comma,
                w("c"),
                Token::DoubleEquals,
                w("d"),
                Token::Comma,
                w("e"),
                Token::GreaterThan,
                w("1"),
            ]
        );
    }

    #[test]
    fn symbols_take_the_longest_match() {
        assert_eq!(tokens("a!==b"), [w("a"), Token::NotEquals, Token::Equals, w("b")]);
        assert_eq!(tokens("a=(b"), [w("a"), Token::Equals, Token::Open, w("b")]);
        assert_eq!(tokens("key!value"), [w("key"), Token::Not, w("value")]);
    }

    #[test]
    fn only_ascii_spaces_separate() {
        assert_eq!(tokens(" \tinx notin\n"), [w("inx"), Token::NotIn]);
        assert_eq!(tokens("a\u{a0}b"), [w("a\u{a0}b")]);
    }
}
