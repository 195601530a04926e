//! The layering the code map in `src/lib.rs` promises, checked on the source itself: every
//! `crate::…` and `super::…` path of every module is resolved, a module may use only the
//! layers below its own, and no module uses a sibling that uses it back (at any depth, in
//! every package of the workspace).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer of the engine and the layers it may use. Nothing may use `ui` or `worker`.
const LAYERS: &[(&str, &[&str])] = &[
    ("base", &[]),
    ("data", &["base"]),
    ("retrieval", &["base"]),
    ("report", &["base", "data"]),
    ("copilot", &["base", "data", "report", "retrieval"]),
    ("charts", &["base", "data", "report", "copilot"]),
    ("app", &["base", "data", "report", "retrieval", "copilot", "charts"]),
    ("web", &["base"]),
    ("worker", &["base", "data", "report", "retrieval", "copilot", "charts", "app", "web"]),
    ("ui", &["base", "data", "report", "retrieval", "copilot", "charts", "app", "web"]),
];

/// A module (by path, `""` for the crate root) and the crate paths it uses, with lines.
#[derive(Debug, Default)]
struct Module {
    file: String,
    uses: Vec<(usize, Vec<String>)>,
}

/// Blanks comments, string and char literals (keeping line breaks), so doc text that
/// mentions `crate::x` is not read as code.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: u8| if c == b'\n' { '\n' } else { ' ' };
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out.push(' ');
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if b[i] == b'r' && matches!(b.get(i + 1), Some(b'"') | Some(b'#')) && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
            if b.get(i + 1 + hashes) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let start = i + 2 + hashes;
            let end = text[start..].find(&close).map(|e| start + e + close.len()).unwrap_or(b.len());
            for &c in &b[i..end] {
                out.push(blank(c));
            }
            i = end;
        } else if b[i] == b'"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            out.push_str("   ");
            i += 3;
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            let end = text[i + 2..].find('\'').map(|e| i + 3 + e).unwrap_or(b.len());
            for _ in i..end {
                out.push(' ');
            }
            i = end;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands a `use` tree that starts at `rest` (after `prefix::`) into full paths.
fn expand_tree(prefix: &str, rest: &str, out: &mut Vec<String>) -> usize {
    let mut path = prefix.to_string();
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && chars[i] == '{' {
            i += 1;
            loop {
                while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                    i += 1;
                }
                if i >= chars.len() || chars[i] == '}' {
                    return i + 1;
                }
                let tail: String = chars[i..].iter().collect();
                i += expand_tree(&path, &tail, out);
            }
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        if i == start {
            out.push(path);
            return i;
        }
        let segment: String = chars[start..i].iter().collect();
        if segment != "self" {
            path = if path.is_empty() { segment } else { format!("{path}::{segment}") };
        }
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            out.push(path);
            return i;
        }
    }
}

/// The crate paths a line of code uses, resolved against module `me`.
fn paths_in(line: &str, me: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        if line[..at].ends_with(|c: char| is_ident(c) || c == ':') {
            continue;
        }
        expand_tree("", &line[at + "crate::".len()..], &mut out);
    }
    for (at, _) in line.match_indices("super::") {
        if line[..at].ends_with(|c: char| is_ident(c) || c == ':') {
            continue;
        }
        let mut base: Vec<&str> = if me.is_empty() { Vec::new() } else { me.split("::").collect() };
        let mut rest = &line[at..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        expand_tree(&base.join("::"), rest, &mut out);
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Every module of a crate rooted at `root` (its `lib.rs` or `main.rs`), by module path.
fn modules_of(root: &Path) -> BTreeMap<String, Module> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let src = root.parent().unwrap();
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        let is_root = file == root;
        if !is_root && parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
            continue; // the other crate root of a package with both a lib and a bin
        }
        let path = if is_root { String::new() } else { parts.join("::") };
        let text = code_only(&std::fs::read_to_string(&file).unwrap());
        let uses = text.lines().enumerate().map(|(n, l)| (n + 1, paths_in(l, &path))).filter(|(_, p)| !p.is_empty()).collect();
        modules.insert(path, Module { file: file.display().to_string(), uses });
    }
    modules
}

/// The module a used path lands in: its longest prefix that is a module.
fn owner<'a>(path: &str, modules: &'a BTreeMap<String, Module>) -> &'a str {
    let parts: Vec<&str> = path.split("::").collect();
    for n in (1..=parts.len()).rev() {
        if let Some((key, _)) = modules.get_key_value(&parts[..n].join("::")) {
            return key;
        }
    }
    ""
}

/// `a`'s ancestor (or itself) that is a child of `of`.
fn child_of<'a>(a: &'a str, of: &str) -> Option<&'a str> {
    let rest = if of.is_empty() { a } else { a.strip_prefix(of)?.strip_prefix("::")? };
    let first = rest.split("::").next()?;
    (!first.is_empty()).then(|| &a[..a.len() - rest.len() + first.len()])
}

/// Sibling cycles: for every parent, the graph among its children (each with its
/// descendants) must have no cycle. Returns each cycle as "a → b → a".
fn sibling_cycles(modules: &BTreeMap<String, Module>) -> Vec<String> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, module) in modules {
        for (_, paths) in &module.uses {
            for p in paths {
                let to = owner(p, modules);
                if to == from {
                    continue;
                }
                // The closest common ancestor, then its two children on each side (none
                // when one module is the other's ancestor: parent and child may share).
                let (fa, ta): (Vec<&str>, Vec<&str>) = (from.split("::").collect(), to.split("::").collect());
                let shared = fa.iter().zip(&ta).take_while(|(x, y)| x == y).count();
                let common = fa[..shared].join("::");
                if let (Some(a), Some(b)) = (child_of(from, &common), child_of(to, &common)) {
                    if a != b {
                        edges.entry(a.to_string()).or_default().insert(b.to_string());
                    }
                }
            }
        }
    }
    let mut cycles = BTreeSet::new();
    for start in edges.keys() {
        // Depth-first search for a path back to `start`.
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == start {
                    let mut cycle = path.clone();
                    let min = cycle.iter().enumerate().min_by_key(|(_, m)| (*m).clone()).map(|(i, _)| i).unwrap();
                    cycle.rotate_left(min);
                    cycle.push(cycle[0].clone());
                    cycles.insert(cycle.join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    cycles.into_iter().collect()
}

/// Uses of a layer the module's layer may not use, as "file:line: module uses path".
fn layer_violations(modules: &BTreeMap<String, Module>) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut out = Vec::new();
    for (from, module) in modules {
        let layer = from.split("::").next().unwrap_or("");
        let Some(may) = allowed.get(layer) else { continue };
        for (line, paths) in &module.uses {
            for p in paths {
                let target = p.split("::").next().unwrap_or("");
                if target != layer && allowed.contains_key(target) && !may.contains(&target) {
                    out.push(format!("{}:{line}: {from} uses {p} ({layer} may use only {may:?})", module.file));
                }
            }
        }
    }
    out
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_engine_module_lives_in_a_layer_of_the_code_map() {
    let modules = modules_of(&workspace().join("src/lib.rs"));
    let layers: BTreeSet<&str> = modules.keys().filter_map(|m| m.split("::").next()).filter(|m| !m.is_empty()).collect();
    let declared: BTreeSet<&str> = LAYERS.iter().map(|(l, _)| *l).collect();
    assert_eq!(layers, declared, "top-level modules of src/ and the layers of the code map differ");
    let code_map = std::fs::read_to_string(workspace().join("src/lib.rs")).unwrap();
    for (layer, _) in LAYERS {
        assert!(code_map.contains(&format!("`{layer}`")), "the code map in src/lib.rs does not describe layer {layer}");
    }
}

#[test]
fn layers_use_only_the_layers_below_them() {
    let violations = layer_violations(&modules_of(&workspace().join("src/lib.rs")));
    assert!(violations.is_empty(), "{} layer violation(s):\n{}", violations.len(), violations.join("\n"));
}

#[test]
fn no_module_of_any_package_uses_a_module_that_uses_it_back() {
    let mut roots = vec![workspace().join("src/lib.rs")];
    for package in ["prompts", "proxy", "cli", "model"] {
        for root in ["src/lib.rs", "src/main.rs"] {
            let path = workspace().join("build-tools").join(package).join(root);
            if path.exists() {
                roots.push(path);
            }
        }
    }
    let mut all = Vec::new();
    for root in roots {
        all.extend(sibling_cycles(&modules_of(&root)).into_iter().map(|c| format!("{}: {c}", root.display())));
    }
    assert!(all.is_empty(), "module cycles:\n{}", all.join("\n"));
}

#[test]
fn the_checker_sees_cycles_layer_breaks_and_grouped_uses() {
    // The checker itself, on code written to break the rules.
    assert_eq!(
        paths_in("use crate::copilot::{chips::{Lane, catalogue}, evidence, self};", "x"),
        ["copilot::chips::Lane", "copilot::chips::catalogue", "copilot::evidence", "copilot"]
    );
    assert_eq!(paths_in(&code_only("let x = super::super::engine::run(); // crate::ui"), "report::a::b"), ["report::engine::run"]);
    assert!(paths_in(&code_only("let s = \"crate::ui::x\"; /* crate::app */"), "").is_empty());
    let module = |file: &str, uses: &[&str]| Module { file: file.into(), uses: vec![(1, uses.iter().map(|u| u.to_string()).collect())] };
    let mut modules = BTreeMap::new();
    modules.insert("report".to_string(), module("report/mod.rs", &["report::view::x"]));
    modules.insert("report::view".to_string(), module("report/view.rs", &["app::url_state::ViewState"]));
    modules.insert("app".to_string(), module("app/mod.rs", &[]));
    modules.insert("app::url_state".to_string(), module("app/url_state.rs", &["report::EntityRef"]));
    assert_eq!(
        layer_violations(&modules),
        ["report/view.rs:1: report::view uses app::url_state::ViewState (report may use only [\"base\", \"data\"])"]
    );
    assert_eq!(sibling_cycles(&modules), ["app → report → app"]);
    modules.insert("copilot".to_string(), module("copilot/mod.rs", &[]));
    modules.insert("copilot::chips".to_string(), module("copilot/chips.rs", &["copilot::evidence::Topic"]));
    modules.insert("copilot::evidence".to_string(), module("copilot/evidence/mod.rs", &["copilot::chips::ChipTemplate"]));
    modules.insert("copilot::evidence::job".to_string(), module("copilot/evidence/job.rs", &["copilot::evidence::Fact"]));
    assert_eq!(sibling_cycles(&modules), ["app → report → app", "copilot::chips → copilot::evidence → copilot::chips"]);
}
