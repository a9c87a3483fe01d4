//! Keys drawn as a tree (`├──`), capped, for "expected / found" layouts.

use std::collections::BTreeMap;

#[derive(Default)]
struct Dir {
    children: BTreeMap<String, Dir>,
}

/// Draws keys under `root` as a tree of at most `cap` lines below it.
pub fn render(root: &str, keys: &[String], cap: usize) -> String {
    let mut tree = Dir::default();
    for key in keys {
        let mut here = &mut tree;
        for part in key.split('/').filter(|p| !p.is_empty()) {
            here = here.children.entry(part.to_owned()).or_default();
        }
    }
    let mut lines = vec![root.to_owned()];
    let mut total = 0usize;
    draw(&tree, "", &mut lines, &mut total, cap);
    if total > cap {
        lines.push(format!("└── … {} more", total - cap));
    }
    lines.join("\n")
}

fn draw(dir: &Dir, indent: &str, lines: &mut Vec<String>, total: &mut usize, cap: usize) {
    let count = dir.children.len();
    for (i, (name, child)) in dir.children.iter().enumerate() {
        *total += 1;
        let last = i + 1 == count;
        let suffix = if child.children.is_empty() { "" } else { "/" };
        if *total <= cap {
            lines.push(format!(
                "{indent}{}{name}{suffix}",
                if last { "└── " } else { "├── " }
            ));
        }
        let next = format!("{indent}{}", if last { "    " } else { "│   " });
        draw(child, &next, lines, total, cap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_capped_tree() {
        let keys: Vec<String> = [
            "1/saved_model.pb",
            "1/variables/variables.index",
            "saved_model.pb",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            render("s3://b/m/", &keys, 50),
            "s3://b/m/\n├── 1/\n│   ├── saved_model.pb\n│   └── variables/\n│       └── variables.index\n└── saved_model.pb"
        );
        assert_eq!(render("r/", &keys, 2).lines().last(), Some("└── … 3 more"));
    }
}
