//! A small condition language used by report specs and chip templates:
//! `failure_rate_pct > 10 and (evictions >= 5 or runs != 0)`, `severity == 'critical'`.
//!
//! Operands are column names, numbers or single-quoted text; operators are
//! `> >= < <= == !=`, combined with `and`, `or`, `not` and parentheses. A comparison with a
//! missing (null) value is false.

use super::dataset::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    Compare { left: Operand, op: Op, right: Operand },
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Column(String),
    Number(f64),
    Text(String),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot read condition {text:?}: {problem}")]
pub struct ConditionError {
    pub text: String,
    pub problem: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Number(f64),
    Text(String),
    Op(Op),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            tokens.push(Token::Open);
            i += 1;
        } else if c == ')' {
            tokens.push(Token::Close);
            i += 1;
        } else if c == '\'' {
            let end = chars[i + 1..].iter().position(|&ch| ch == '\'').ok_or("unterminated text")?;
            tokens.push(Token::Text(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else if "<>=!".contains(c) {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let (op, len) = match two.as_str() {
                ">=" => (Op::Ge, 2),
                "<=" => (Op::Le, 2),
                "==" => (Op::Eq, 2),
                "!=" => (Op::Ne, 2),
                _ if c == '>' => (Op::Gt, 1),
                _ if c == '<' => (Op::Lt, 1),
                _ => return Err(format!("unknown operator at {two:?}")),
            };
            tokens.push(Token::Op(op));
            i += len;
        } else if c.is_ascii_digit() || c == '-' || c == '.' {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            tokens.push(Token::Number(s.parse().map_err(|_| format!("bad number {s:?}"))?));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            tokens.push(match word.as_str() {
                "and" => Token::And,
                "or" => Token::Or,
                "not" => Token::Not,
                _ => Token::Ident(word),
            });
        } else {
            return Err(format!("unexpected character {c:?}"));
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            left = Condition::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Condition, String> {
        match self.peek() {
            Some(Token::Not) => {
                self.pos += 1;
                Ok(Condition::Not(Box::new(self.unary()?)))
            }
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("missing ')'".into()),
                }
            }
            _ => {
                let left = self.operand()?;
                let op = match self.next() {
                    Some(Token::Op(op)) => op,
                    other => return Err(format!("expected a comparison operator, found {other:?}")),
                };
                let right = self.operand()?;
                Ok(Condition::Compare { left, op, right })
            }
        }
    }

    fn operand(&mut self) -> Result<Operand, String> {
        match self.next() {
            Some(Token::Ident(name)) => Ok(Operand::Column(name)),
            Some(Token::Number(n)) => Ok(Operand::Number(n)),
            Some(Token::Text(t)) => Ok(Operand::Text(t)),
            other => Err(format!("expected a column, number or 'text', found {other:?}")),
        }
    }
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let fail = |problem: String| ConditionError { text: text.to_string(), problem };
        let tokens = tokenize(text).map_err(fail)?;
        if tokens.is_empty() {
            return Err(fail("empty condition".into()));
        }
        let mut parser = Parser { tokens, pos: 0 };
        let cond = parser.or().map_err(fail)?;
        if parser.pos != parser.tokens.len() {
            return Err(fail(format!("unexpected {:?}", parser.tokens[parser.pos])));
        }
        Ok(cond)
    }

    /// Column names the condition reads.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_columns(&mut out);
        out
    }

    fn collect_columns<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::Compare { left, right, .. } => {
                for o in [left, right] {
                    if let Operand::Column(c) = o {
                        out.push(c);
                    }
                }
            }
            Condition::And(a, b) | Condition::Or(a, b) => {
                a.collect_columns(out);
                b.collect_columns(out);
            }
            Condition::Not(a) => a.collect_columns(out),
        }
    }

    /// Evaluates against a row given by a column lookup.
    pub fn eval<'v>(&self, lookup: &dyn Fn(&str) -> Option<&'v Value>) -> bool {
        match self {
            Condition::And(a, b) => a.eval(lookup) && b.eval(lookup),
            Condition::Or(a, b) => a.eval(lookup) || b.eval(lookup),
            Condition::Not(a) => !a.eval(lookup),
            Condition::Compare { left, op, right } => {
                let resolve = |o: &Operand| -> Value {
                    match o {
                        Operand::Column(c) => lookup(c).cloned().unwrap_or(Value::Null),
                        Operand::Number(n) => Value::Real(*n),
                        Operand::Text(t) => Value::Text(t.clone()),
                    }
                };
                let (l, r) = (resolve(left), resolve(right));
                let ordering = match (l.as_f64(), r.as_f64(), &l, &r) {
                    (Some(a), Some(b), _, _) => a.partial_cmp(&b),
                    (_, _, Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
                    _ => None,
                };
                let Some(ord) = ordering else { return false };
                match op {
                    Op::Gt => ord.is_gt(),
                    Op::Ge => ord.is_ge(),
                    Op::Lt => ord.is_lt(),
                    Op::Le => ord.is_le(),
                    Op::Eq => ord.is_eq(),
                    Op::Ne => ord.is_ne(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn eval(cond: &str, row: &[(&str, Value)]) -> bool {
        let map: HashMap<&str, Value> = row.iter().cloned().collect();
        Condition::parse(cond).unwrap().eval(&|c| map.get(c))
    }

    #[test]
    fn compares_numbers_text_and_combines() {
        let row = [("failure_rate_pct", Value::Real(37.5)), ("evictions", Value::Int(0)), ("severity", Value::Text("critical".into()))];
        assert!(eval("failure_rate_pct > 10", &row));
        assert!(!eval("failure_rate_pct > 40", &row));
        assert!(eval("evictions >= 5 or failure_rate_pct > 15", &row));
        assert!(!eval("evictions >= 5 and failure_rate_pct > 15", &row));
        assert!(eval("severity == 'critical' and not (evictions > 0)", &row));
        assert!(eval("evictions == 0", &row));
        assert!(eval("failure_rate_pct >= -1.5", &row));
    }

    #[test]
    fn null_and_missing_values_compare_false() {
        let row = [("x", Value::Null)];
        assert!(!eval("x > 1", &row));
        assert!(!eval("x != 1", &row));
        assert!(!eval("missing == 0", &row));
    }

    #[test]
    fn reports_what_it_cannot_read() {
        let err = Condition::parse("failure_rate_pct >").unwrap_err();
        assert!(err.to_string().contains("failure_rate_pct >"), "{err}");
        assert!(Condition::parse("a = 1").is_err());
        assert!(Condition::parse("(a > 1").is_err());
        assert!(Condition::parse("a > 1 b").is_err());
        assert_eq!(Condition::parse("a > b and c < 2").unwrap().columns(), ["a", "b", "c"]);
    }
}
