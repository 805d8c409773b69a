//! The registry's source is in layers, and its imports say so: every `crate::` and `super::`
//! path in `src/` is read, resolved to the module it names, and checked against two rules.
//!
//! - An arrow points down only: api → admit → write → log → store → clock, with ops above
//!   them all (it wires them). A module may use its own layer and those below.
//! - No circle: no chain of modules leads back to where it started. A module's use of its own
//!   submodules (declaring them, re-exporting their items) is composition, not an arrow.
//!
//! Reading the source as text keeps this test free of a Rust parser; the paths it follows are
//! the only way one module of this crate names another.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: [&str; 7] = ["clock", "store", "log", "write", "admit", "api", "ops"];

/// A module's path below the crate root, e.g. `["write", "command"]`.
type Module = Vec<String>;

#[test]
fn every_arrow_points_down_a_layer_and_none_closes_a_circle() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules_in(&source);
    assert!(
        modules.len() > 30,
        "found only {} modules under {}",
        modules.len(),
        source.display()
    );
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    let mut arrows: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let mut upward = Vec::new();
    for (module, file) in &modules {
        let text = without_comments(&fs::read_to_string(file).unwrap());
        for (inline, text) in inline_modules(&text) {
            // An inline module (`mod tests { ... }`) speaks for the module it is in.
            let written_in: Module = module.iter().chain(&inline).cloned().collect();
            for path in paths_in(&text) {
                let Some(target) = resolve(&path, &written_in, &known) else {
                    continue;
                };
                if target.starts_with(module) {
                    continue; // its own submodule: composition
                }
                if rank(&target) > rank(module) {
                    upward.push(format!("{} -> {}", name(module), name(&target)));
                }
                arrows.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "arrows pointing up a layer:\n{}",
        upward.join("\n")
    );
    if let Some(circle) = a_circle(&arrows) {
        panic!(
            "an import circle: {}",
            circle.iter().map(name).collect::<Vec<_>>().join(" -> ")
        );
    }
    // The rules bite: the writer does use the log and the store below it.
    let sequencer = arrows
        .get(&module_of("write::sequencer"))
        .expect("write::sequencer has arrows");
    assert!(sequencer.contains(&module_of("log")), "{sequencer:?}");
}

/// The rules themselves, on arrows made up for the purpose.
#[test]
fn an_upward_arrow_and_a_circle_are_found() {
    assert!(rank(&module_of("write::sequencer")) < rank(&module_of("api::service")));
    assert!(rank(&module_of("ops::metrics")) > rank(&module_of("api")));
    assert_eq!(rank(&module_of("log::tree")), rank(&module_of("log")));
    let mut arrows: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let arrow = |arrows: &mut BTreeMap<Module, BTreeSet<Module>>, from: &str, to: &str| {
        arrows
            .entry(module_of(from))
            .or_default()
            .insert(module_of(to));
    };
    arrow(&mut arrows, "write::command", "write::batch");
    arrow(&mut arrows, "write::batch", "store");
    assert_eq!(a_circle(&arrows), None);
    arrow(&mut arrows, "write::batch", "write::command");
    assert!(a_circle(&arrows).is_some());

    let known: BTreeSet<Module> = ["write", "write::command", "write::batch", "store"]
        .into_iter()
        .map(module_of)
        .collect();
    let paths = paths_in(
        "use super::{batch::Batch, error::WriteError};\nuse crate::store::{Family, Store};",
    );
    let resolved: BTreeSet<Module> = paths
        .iter()
        .filter_map(|p| resolve(p, &module_of("write::command"), &known))
        .collect();
    assert_eq!(
        resolved,
        ["write::batch", "write", "store"]
            .into_iter()
            .map(module_of)
            .collect()
    );
}

fn module_of(name: &str) -> Module {
    name.split("::").map(str::to_owned).collect()
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

/// A module's layer, by its first segment; the crate root and anything unlisted sit on top.
fn rank(module: &Module) -> usize {
    module
        .first()
        .and_then(|first| LAYERS.iter().position(|layer| layer == first))
        .unwrap_or(LAYERS.len())
}

/// Every module of the library under `source`, and its file (`main.rs` is the binary's).
fn modules_in(source: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut pending = vec![source.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(source).unwrap().with_extension("");
            let mut module: Module = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("main") if module.len() == 1 => continue,
                Some("lib") if module.len() == 1 => module.clear(),
                Some("mod") => {
                    module.pop();
                }
                _ => {}
            }
            found.insert(module, path);
        }
    }
    found
}

/// `text` without its comments (doc comments name modules in prose) and string literals.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
                out.push_str("\"\"");
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` split into its own part and the inline modules (`mod name { ... }`) it holds, at any
/// depth, each with its path below the file's module.
fn inline_modules(text: &str) -> Vec<(Vec<String>, String)> {
    let mut own = String::new();
    let mut inner = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("mod ") {
        let joined = at > 0 && {
            let before = rest.as_bytes()[at - 1];
            before.is_ascii_alphanumeric() || before == b'_'
        };
        let after = &rest[at + 4..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let body = after[end..].trim_start();
        if joined || end == 0 || !body.starts_with('{') {
            own.push_str(&rest[..at + 4]);
            rest = after;
            continue;
        }
        own.push_str(&rest[..at]);
        let name = after[..end].to_owned();
        let body = &body[1..];
        let mut depth = 0usize;
        let close = body
            .char_indices()
            .find(|&(_, c)| match c {
                '{' => {
                    depth += 1;
                    false
                }
                '}' if depth == 0 => true,
                '}' => {
                    depth -= 1;
                    false
                }
                _ => false,
            })
            .map_or(body.len(), |(i, _)| i);
        for (path, text) in inline_modules(&body[..close]) {
            inner.push((std::iter::once(name.clone()).chain(path).collect(), text));
        }
        rest = body.get(close + 1..).unwrap_or("");
    }
    own.push_str(rest);
    let mut all = vec![(Vec::new(), own)];
    all.extend(inner);
    all
}

/// Every path starting at `crate::` or `super::` in `text`, each group (`{a, b::c}`) expanded.
fn paths_in(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = text.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(found) = text[from..].find(start) {
            let at = from + found;
            from = at + start.len();
            let joined = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
            if joined {
                continue; // e.g. `eproxy_crate::`
            }
            let head = start.trim_end_matches("::").to_owned();
            expand(&text[from..], vec![head], &mut paths);
        }
    }
    paths
}

/// Reads the rest of a path from `rest`, after `prefix`, into `paths`.
fn expand(rest: &str, prefix: Vec<String>, paths: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = rest.trim_start();
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            for item in split_group(group) {
                expand(item, path.clone(), paths);
            }
            return;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        path.push(rest[..end].to_owned());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after.trim_start(),
            None => break,
        }
    }
    paths.push(path);
}

/// The top-level items of a `{...}` group whose text starts after the brace.
fn split_group(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// The module `path`, written in `module`, names: the longest known module its
/// segments lead to.
fn resolve(path: &[String], module: &Module, known: &BTreeSet<Module>) -> Option<Module> {
    let (mut base, segments) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("super") => {
            let mut base = module.clone();
            base.pop()?;
            let mut segments = &path[1..];
            while segments.first().map(String::as_str) == Some("super") {
                base.pop()?;
                segments = &segments[1..];
            }
            (base, segments)
        }
        _ => return None,
    };
    let mut resolved = base.clone();
    for segment in segments {
        base.push(segment.clone());
        if known.contains(&base) {
            resolved = base.clone();
        } else {
            break;
        }
    }
    Some(resolved)
}

/// A circle among `arrows`, if there is one: the modules on it, the first repeated last.
fn a_circle(arrows: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        module: &Module,
        arrows: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        trail: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match marks.get(module) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = trail.iter().position(|m| m == module)?;
                let mut circle = trail[from..].to_vec();
                circle.push(module.clone());
                return Some(circle);
            }
            None => {}
        }
        marks.insert(module.clone(), Mark::Open);
        trail.push(module.clone());
        for next in arrows.get(module).into_iter().flatten() {
            if let Some(circle) = visit(next, arrows, marks, trail) {
                return Some(circle);
            }
        }
        trail.pop();
        marks.insert(module.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for module in arrows.keys() {
        if let Some(circle) = visit(module, arrows, &mut marks, &mut Vec::new()) {
            return Some(circle);
        }
    }
    None
}
