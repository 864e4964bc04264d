//! The layers of core (ARCHITECTURE.md, "Code map"): each top-level module may import only from the
//! layers below it (or its own), so the import circle that once tied the console, the world and the
//! server together cannot come back. Reads every `crate::...` path outside comments and test modules.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// core's top-level modules, lowest layer first. A module may import from its own layer and below.
const LAYERS: &[(&str, &[&str])] = &[
    ("leaves", &["version", "rng", "cluster", "mvcc", "lease", "trace"]),
    ("snapshot file", &["snapshot"]),
    ("disk and server", &["disk", "server"]),
    ("member process and checker", &["raftnode", "linearizability"]),
    ("cluster", &["sim"]),
    ("clients", &["ctl", "kubernetes"]),
    ("playground", &["playground"]),
    ("users of the playground", &["lesson", "script", "golden", "robustness"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("core/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file's code (not its comments or its `#[cfg(test)]` module) names as
/// `crate::X`, including inside `use crate::{X, Y::Z}` groups.
fn imports(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let body = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(body.split(',').map(|p| p.trim().split("::").next().unwrap_or("").to_string()));
        } else {
            found.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    found.retain(|m| !m.is_empty() && m.chars().next().is_some_and(|c| c.is_lowercase()));
    found
}

#[test]
fn no_core_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    // Imports between two different top-level modules, for the summary line.
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    let mut violations = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under core/src");
        let top = rel.components().next().expect("a path").as_os_str().to_string_lossy().replace(".rs", "");
        if top == "lib" || top == "bin" {
            continue;
        }
        let Some(own) = layer_of(&top) else {
            violations.push(format!("{}: module `{top}` is in no layer of LAYERS", rel.display()));
            continue;
        };
        let source = std::fs::read_to_string(file).expect("a source file");
        for m in imports(&source) {
            if m != top {
                edges.insert((top.clone(), m.clone()));
            }
            match layer_of(&m) {
                Some(l) if l <= own => {}
                Some(l) => violations.push(format!(
                    "{}: `{top}` ({}) imports `crate::{m}` from a layer above it ({})",
                    rel.display(),
                    LAYERS[own].0,
                    LAYERS[l].0
                )),
                None => violations.push(format!("{}: `crate::{m}` is in no layer of LAYERS", rel.display())),
            }
        }
    }
    println!("{} files, {} module-to-module edges", files.len(), edges.len());
    assert!(violations.is_empty(), "{} imports go up a layer:\n{}", violations.len(), violations.join("\n"));
}

#[test]
fn the_reader_sees_grouped_and_nested_imports() {
    let src = "use crate::mvcc::KeyRange;\nuse crate::{rng::SimRng, sim::Cluster};\n// crate::ctl in a comment\nfn f() { crate::trace::Event::Healed; }\n#[cfg(test)]\nmod tests { use crate::playground::World; }\n";
    assert_eq!(imports(src), vec!["mvcc", "rng", "sim", "trace"]);
}
