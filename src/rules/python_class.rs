//! Just enough of Python's tokenizer to read a handler file's `Handler`
//! class as Cortex's worker will see it: its base classes and the
//! positional parameters of the methods written in its body (what
//! `inspect.getfullargspec(fn).args` returns). Anything this reader cannot
//! be sure of (a decorator, a rebinding of `Handler`, a method defined
//! conditionally, a `lambda` default) makes it give no answer: a handler
//! Cortex would accept must never be refused.

/// One logical line: physical lines joined inside brackets and after `\`,
/// comments dropped, every string literal replaced by `""` (so that only
/// brackets and commas are left to read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logical {
    /// Columns of indentation (a tab goes to the next multiple of 8).
    pub indent: usize,
    /// 1-based line of its first physical line.
    pub line: usize,
    pub code: String,
}

/// The logical lines of a Python source.
pub fn logical_lines(source: &str) -> Vec<Logical> {
    let mut scanner = Scanner {
        chars: source.chars().collect(),
        at: 0,
        line: 1,
        out: Vec::new(),
    };
    scanner.run();
    scanner.out
}

struct Scanner {
    chars: Vec<char>,
    at: usize,
    line: usize,
    out: Vec<Logical>,
}

impl Scanner {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn run(&mut self) {
        while self.at < self.chars.len() {
            let (indent, line) = (self.indentation(), self.line);
            let code = self.one_logical_line();
            if !code.trim().is_empty() {
                self.out.push(Logical {
                    indent,
                    line,
                    code: code.trim().to_owned(),
                });
            }
        }
    }

    fn indentation(&mut self) -> usize {
        let mut columns = 0;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\x0c' => columns += 1,
                '\t' => columns = (columns / 8 + 1) * 8,
                _ => break,
            }
            self.at += 1;
        }
        columns
    }

    /// Reads up to the newline that ends the logical line (consumed).
    fn one_logical_line(&mut self) -> String {
        let mut code = String::new();
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            match c {
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                }
                '\\' if self.peek(1) == Some('\n') => {
                    self.at += 2;
                    self.line += 1;
                    code.push(' ');
                }
                '\n' => {
                    self.at += 1;
                    self.line += 1;
                    if depth == 0 {
                        return code;
                    }
                    code.push(' ');
                }
                '\'' | '"' => {
                    self.skip_string(c);
                    code.push_str("\"\"");
                }
                _ => {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    code.push(c);
                    self.at += 1;
                }
            }
        }
        code
    }

    /// Skips a string literal opened by `quote` (single or triple); a
    /// backslash always escapes the next character, raw strings included,
    /// as Python's tokenizer reads them.
    fn skip_string(&mut self, quote: char) {
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.at += if triple { 3 } else { 1 };
        while let Some(c) = self.peek(0) {
            if c == '\\' {
                if self.peek(1) == Some('\n') {
                    self.line += 1;
                }
                self.at += 2;
                continue;
            }
            if c == '\n' {
                if !triple {
                    // an unterminated string ends at the line (a syntax
                    // error Python reports; nothing here depends on it)
                    return;
                }
                self.line += 1;
            }
            if c == quote
                && (!triple || (self.peek(1) == Some(quote) && self.peek(2) == Some(quote)))
            {
                self.at += if triple { 3 } else { 1 };
                return;
            }
            self.at += 1;
        }
    }
}

/// The class as this reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassView {
    pub line: usize,
    /// Whether it inherits only from `object` (or nothing): a method not
    /// written in the body is then `object`'s.
    pub plain: bool,
    pub methods: Vec<MethodView>,
    /// Names bound in the body in a way this reader does not follow.
    pub unsure: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodView {
    pub name: String,
    pub line: usize,
    /// `getfullargspec(fn).args`; `None` when the parameters cannot be
    /// read for sure (a decorator, a `lambda` default).
    pub args: Option<Vec<String>>,
}

/// The one top-level `class <name>` of the file, when nothing else at the
/// top level could rebind the name.
pub fn find_class(lines: &[Logical], name: &str) -> Option<ClassView> {
    // a module that rebinds names by string cannot be read statically
    if lines.iter().any(|l| rebinds_dynamically(&l.code)) {
        return None;
    }
    let mut found = None;
    for (index, line) in lines.iter().enumerate() {
        if line.indent != 0 {
            continue;
        }
        if let Some(rest) = class_header(&line.code, name) {
            let decorated = index > 0 && lines[index - 1].code.starts_with('@');
            if found.is_some() || decorated {
                return None;
            }
            found = Some((index, rest));
        }
    }
    let (index, rest) = found?;
    let header = &lines[index];
    let body_end = index
        + 1
        + lines[index + 1..]
            .iter()
            .take_while(|l| l.indent > 0)
            .count();
    // any other binding of the name, at any depth outside the class body
    // (`if ...: Handler = Other`, an import in a `try`)
    let outside = lines[..index].iter().chain(&lines[body_end..]);
    if outside.into_iter().any(|l| binds(&l.code, name)) {
        return None;
    }
    let (bases, inline_body) = split_header(rest)?;
    let plain = bases.is_empty() || bases == "object";
    let body: Vec<&Logical> = lines[index + 1..body_end].iter().collect();
    if !inline_body.is_empty() {
        // `class Handler: pass`: a one-line body has no methods (indented
        // lines after it would be a syntax error: no answer)
        return body.is_empty().then(|| ClassView {
            line: header.line,
            plain,
            methods: Vec::new(),
            unsure: Vec::new(),
        });
    }
    Some(read_body(header.line, plain, &body))
}

/// `globals()`, `setattr`, `exec`, `__dict__`: names bound from strings.
fn rebinds_dynamically(code: &str) -> bool {
    ["globals", "setattr", "exec", "__dict__", "vars"]
        .iter()
        .any(|word| has_word(code, word))
}

/// `class <name>` then `(`, `:` or whitespace: the text after the name.
fn class_header<'a>(code: &'a str, name: &str) -> Option<&'a str> {
    let rest = code.strip_prefix("class")?;
    let rest = rest.strip_prefix([' ', '\t'])?.trim_start();
    let rest = rest.strip_prefix(name)?;
    rest.trim_start()
        .starts_with(['(', ':'])
        .then_some(rest.trim_start())
}

/// `(bases):` or `:`, and what follows the colon on the same line.
fn split_header(rest: &str) -> Option<(String, String)> {
    let (bases, after) = match rest.strip_prefix('(') {
        Some(inner) => {
            let close = matching_paren(inner)?;
            (inner[..close].trim().to_owned(), &inner[close + 1..])
        }
        None => (String::new(), rest),
    };
    let after = after.trim_start().strip_prefix(':')?;
    Some((
        bases.trim_end_matches(',').trim().to_owned(),
        after.trim().to_owned(),
    ))
}

/// The index of the `)` closing an already-opened parenthesis.
fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// A top-level statement other than the class that may bind `name`:
/// assignment, import, def, `import *`, a `for`/`with`/`global` naming it.
fn binds(code: &str, name: &str) -> bool {
    if code.starts_with("from ") && code.ends_with("import *") {
        return true;
    }
    let first_word_binds = [
        "import ", "from ", "def ", "async ", "for ", "with ", "global ",
    ]
    .iter()
    .any(|k| code.starts_with(k));
    (first_word_binds && has_word(code, name))
        || code
            .strip_prefix(name)
            .is_some_and(|after| after.trim_start().starts_with(['=', ':', ',', '[', '.']))
        || (code.contains('=') && has_word(code.split('=').next().unwrap_or(""), name))
}

fn read_body(line: usize, plain: bool, body: &[&Logical]) -> ClassView {
    let indent = body.first().map_or(0, |l| l.indent);
    let mut methods: Vec<MethodView> = Vec::new();
    let mut unsure = Vec::new();
    for (i, logical) in body.iter().enumerate() {
        let code = logical.code.as_str();
        let def = code
            .strip_prefix("async ")
            .map(str::trim_start)
            .unwrap_or(code)
            .strip_prefix("def ");
        match def {
            Some(rest) if logical.indent == indent => {
                let decorated =
                    i > 0 && body[i - 1].indent == indent && body[i - 1].code.starts_with('@');
                if let Some(method) = read_method(rest, logical.line, decorated) {
                    // a later definition replaces an earlier one
                    methods.retain(|m| m.name != method.name);
                    methods.push(method);
                }
            }
            // a method defined inside an `if` or a loop, or bound another way
            Some(rest) => unsure.push(ident(rest.trim_start()).to_owned()),
            None if logical.indent == indent => {
                let target = code.split(['=', ':']).next().unwrap_or("");
                unsure.extend(
                    target
                        .split([',', ' '])
                        .map(str::trim)
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned),
                );
            }
            None => {}
        }
    }
    ClassView {
        line,
        plain,
        methods,
        unsure,
    }
}

fn read_method(rest: &str, line: usize, decorated: bool) -> Option<MethodView> {
    let rest = rest.trim_start();
    let name = ident(rest);
    if name.is_empty() {
        return None;
    }
    let params = rest[name.len()..].trim_start().strip_prefix('(')?;
    let close = matching_paren(params)?;
    let args = if decorated {
        None
    } else {
        positional_args(&params[..close])
    };
    Some(MethodView {
        name: name.to_owned(),
        line,
        args,
    })
}

/// The names `getfullargspec` lists as `args`: positional-only and
/// positional-or-keyword parameters, up to `*`, `*args` or `**kwargs`.
fn positional_args(params: &str) -> Option<Vec<String>> {
    if has_word(params, "lambda") {
        return None;
    }
    let mut args = Vec::new();
    for part in split_top_level(params) {
        let part = part.trim();
        if part.is_empty() || part == "/" {
            continue;
        }
        if part.starts_with('*') {
            break;
        }
        let name = part.split([':', '=']).next().unwrap_or("").trim();
        if name.is_empty() || ident(name) != name {
            return None;
        }
        args.push(name.to_owned());
    }
    Some(args)
}

/// Splits at commas outside brackets (strings are already `""`).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The identifier at the start of `text`.
fn ident(text: &str) -> &str {
    let end = text
        .char_indices()
        .find(|(_, c)| !is_ident_char(*c))
        .map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// `word` appears in `text` as a whole identifier.
pub fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(source: &str) -> Option<ClassView> {
        find_class(&logical_lines(source), "Handler")
    }

    fn args_of(source: &str, method: &str) -> Option<Vec<String>> {
        class(source)?
            .methods
            .into_iter()
            .find(|m| m.name == method)?
            .args
    }

    #[test]
    fn logical_lines_join_brackets_and_drop_comments_and_strings() {
        let lines = logical_lines(
            "x = (1,\n     2)  # note\n\"\"\"doc\nclass Fake:\n\"\"\"\nclass Handler:\n\tpass\n",
        );
        let codes: Vec<(usize, usize, &str)> = lines
            .iter()
            .map(|l| (l.indent, l.line, l.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (0, 1, "x = (1,      2)"),
                (0, 3, "\"\""),
                (0, 6, "class Handler:"),
                (8, 7, "pass"),
            ]
        );
    }

    #[test]
    fn reads_the_positional_parameters_as_getfullargspec_does() {
        let source = "class Handler:\n    def __init__(self, tensorflow_client: \"TFClient\",\n                 config={\"a\": (1, 2)}, *args, metrics_client=None, **kw):\n        pass\n    async def handle_async(self, payload, /, request_id=None): ...\n";
        assert_eq!(
            args_of(source, "__init__"),
            Some(vec![
                "self".into(),
                "tensorflow_client".into(),
                "config".into()
            ])
        );
        assert_eq!(
            args_of(source, "handle_async"),
            Some(vec!["self".into(), "payload".into(), "request_id".into()])
        );
    }

    #[test]
    fn the_last_definition_wins_and_unsure_bindings_are_noted() {
        let source = "class Handler(object):\n    def handle_async(self): pass\n    def handle_async(self, payload): pass\n    if True:\n        def __init__(self): pass\n    __call__ = None\n";
        let view = class(source).expect("class");
        assert!(view.plain);
        assert_eq!(view.methods.len(), 1);
        assert_eq!(
            view.methods[0].args,
            Some(vec!["self".into(), "payload".into()])
        );
        assert!(view.unsure.contains(&"__init__".to_owned()));
        assert!(view.unsure.contains(&"__call__".to_owned()));
    }

    #[test]
    fn gives_no_answer_when_the_class_may_be_something_else() {
        for source in [
            "@decorate\nclass Handler:\n    pass\n",
            "class Handler:\n    pass\nHandler = make()\n",
            "class Handler:\n    pass\nclass Handler:\n    pass\n",
            "from lib import Handler\nclass Handler:\n    pass\n",
            "class Handler:\n    pass\nfrom lib import *\n",
            "import lib\n",
            "class Handler:\n    pass\nif fast:\n    Handler = Fast\n",
            "try:\n    from fast import Handler\nexcept ImportError:\n    pass\nclass Handler:\n    pass\n",
            "class Handler:\n    pass\nglobals()[\"Handler\"] = make()\n",
        ] {
            assert_eq!(class(source), None, "{source}");
        }
    }

    #[test]
    fn decorated_methods_and_lambda_defaults_are_not_read() {
        let source = "class Handler:\n    @staticmethod\n    def handle_async(payload): pass\n    def __init__(self, f=lambda a, b: 0): pass\n";
        assert_eq!(args_of(source, "handle_async"), None);
        assert_eq!(args_of(source, "__init__"), None);
    }

    #[test]
    fn bases_and_one_line_bodies() {
        let view = class("class Handler: pass\n").expect("class");
        assert!(view.plain && view.methods.is_empty());
        let view = class("class Handler(Base, metaclass=M):\n    x = 1\n").expect("class");
        assert!(!view.plain);
    }
}
