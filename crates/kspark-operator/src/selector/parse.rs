//! A label selector string as Kubernetes' `labels.Parse` reads it (the
//! grammar kubeflow's `--namespace-selector` is parsed with): requirements
//! separated by commas, each `key`, `!key`, `key=v`, `key==v`, `key!=v`,
//! `key>n`, `key<n`, `key in (v, ...)` or `key notin (v, ...)`; the same
//! strings accepted and refused.

use std::collections::BTreeSet;

use super::lexer::{Token, tokens};
use super::syntax::{key_error, value_error};
use super::{Operator, Requirement};

pub fn requirements(text: &str) -> Result<Vec<Requirement>, String> {
    let mut parser = Parser { tokens: tokens(text), at: 0 };
    let mut out = Vec::new();
    if parser.peek_value().is_none() {
        return Ok(out);
    }
    loop {
        out.push(parser.requirement()?);
        match parser.next_value() {
            None => return Ok(out),
            Some(Token::Comma) => match parser.peek_value() {
                Some(Token::Word(_) | Token::Not) => {}
                other => return Err(format!("expected a key after ',', found {}", shown(other.as_ref()))),
            },
            other => return Err(format!("expected ',' or the end, found {}", shown(other.as_ref()))),
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    /// The next token as an operator position reads it (keywords stay keywords).
    fn next_raw(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    /// Where a key or value may stand, `in` and `notin` are words.
    fn next_value(&mut self) -> Option<Token> {
        self.next_raw().map(as_value)
    }

    fn peek_value(&self) -> Option<Token> {
        self.tokens.get(self.at).cloned().map(as_value)
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        let mut operator = None;
        let mut token = self.next_value();
        if token == Some(Token::Not) {
            operator = Some(Operator::DoesNotExist);
            token = self.next_value();
        }
        let Some(Token::Word(key)) = token else {
            return Err(format!("expected a key, found {}", shown(token.as_ref())));
        };
        if let Some(error) = key_error(&key) {
            return Err(error);
        }
        if matches!(self.peek_value(), None | Some(Token::Comma)) {
            operator.get_or_insert(Operator::Exists);
        }
        let operator = match operator {
            Some(unary) => return Ok(Requirement { key, operator: unary, values: BTreeSet::new() }),
            None => self.operator()?,
        };
        let values = match operator {
            Operator::In | Operator::NotIn => self.value_set()?,
            _ => BTreeSet::from([self.exact_value()?]),
        };
        requirement(key, operator, values)
    }

    fn operator(&mut self) -> Result<Operator, String> {
        match self.next_raw() {
            Some(Token::In) => Ok(Operator::In),
            Some(Token::NotIn) => Ok(Operator::NotIn),
            Some(Token::Equals | Token::DoubleEquals) => Ok(Operator::Equals),
            Some(Token::NotEquals) => Ok(Operator::NotEquals),
            Some(Token::GreaterThan) => Ok(Operator::GreaterThan),
            Some(Token::LessThan) => Ok(Operator::LessThan),
            other => Err(format!(
                "expected one of in, notin, =, ==, !=, >, < after the key, found {}",
                shown(other.as_ref())
            )),
        }
    }

    /// After `=`, `==`, `!=`, `>`, `<`: a word, or nothing (the empty value).
    fn exact_value(&mut self) -> Result<String, String> {
        if matches!(self.peek_value(), None | Some(Token::Comma)) {
            return Ok(String::new());
        }
        match self.next_value() {
            Some(Token::Word(value)) => Ok(value),
            other => Err(format!("expected a value, found {}", shown(other.as_ref()))),
        }
    }

    /// `( v, ... )`. Kubernetes reads `()` as the empty value, and a comma
    /// with nothing before or after it as an empty value too.
    fn value_set(&mut self) -> Result<BTreeSet<String>, String> {
        let open = self.next_value();
        if open != Some(Token::Open) {
            return Err(format!("expected '(' before the values, found {}", shown(open.as_ref())));
        }
        let values = match self.peek_value() {
            Some(Token::Close) => {
                self.at += 1;
                return Ok(BTreeSet::from([String::new()]));
            }
            Some(Token::Word(_) | Token::Comma) => self.value_list()?,
            other => return Err(format!("expected a value, ',' or ')', found {}", shown(other.as_ref()))),
        };
        match self.next_value() {
            Some(Token::Close) => Ok(values),
            other => Err(format!("expected ')' after the values, found {}", shown(other.as_ref()))),
        }
    }

    /// The values up to (not including) the `)`.
    fn value_list(&mut self) -> Result<BTreeSet<String>, String> {
        let mut values = BTreeSet::new();
        loop {
            match self.next_value() {
                Some(Token::Word(value)) => {
                    values.insert(value);
                    match self.peek_value() {
                        Some(Token::Comma) => {}
                        Some(Token::Close) => return Ok(values),
                        other => return Err(format!("expected ',' or ')', found {}", shown(other.as_ref()))),
                    }
                }
                Some(Token::Comma) => {
                    if values.is_empty() {
                        values.insert(String::new());
                    }
                    match self.peek_value() {
                        Some(Token::Close) => {
                            values.insert(String::new());
                            return Ok(values);
                        }
                        Some(Token::Comma) => {
                            self.at += 1;
                            values.insert(String::new());
                        }
                        _ => {}
                    }
                }
                other => return Err(format!("expected a value or ',', found {}", shown(other.as_ref()))),
            }
        }
    }
}

fn as_value(token: Token) -> Token {
    match token {
        Token::In => Token::Word("in".into()),
        Token::NotIn => Token::Word("notin".into()),
        other => other,
    }
}

fn shown(token: Option<&Token>) -> String {
    token.map_or("the end".to_string(), |t| format!("'{}'", t.text()))
}

/// What Kubernetes checks of a parsed requirement: valid values, and
/// integers for `>` and `<`.
fn requirement(key: String, operator: Operator, values: BTreeSet<String>) -> Result<Requirement, String> {
    if matches!(operator, Operator::GreaterThan | Operator::LessThan) {
        for value in &values {
            value
                .parse::<i64>()
                .map_err(|_| format!("{key}: the value of '>' and '<' must be an integer, got {value:?}"))?;
        }
    }
    if let Some(error) = values.iter().find_map(|v| value_error(v)) {
        return Err(error);
    }
    Ok(Requirement { key, operator, values })
}
