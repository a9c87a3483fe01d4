//! `build`: deterministic bytes, atomic replacement (a failed or killed
//! build leaves the previous bundle as it was), and the output guards.

#[path = "support/handler.rs"]
mod handler;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("build")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn build_command(config: &Path, store: &Path, out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"));
    command
        .arg("build")
        .arg(config)
        .arg("--cluster")
        .arg(root().join("examples/cluster.yaml"))
        .args(["--account-id", "123456789012"])
        .arg("--store")
        .arg(store)
        .arg("-o")
        .arg(out)
        .args(["--color", "never"]);
    command
}

fn build(config: &Path, store: &Path, out: &Path) -> Output {
    build_command(config, store, out)
        .output()
        .expect("the binary runs")
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(here) = stack.pop() {
        for entry in std::fs::read_dir(&here).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                files.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

fn example() -> (PathBuf, PathBuf) {
    (
        root().join("examples/iris/cortex.yaml"),
        root().join("examples/store"),
    )
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let (config, store) = example();
    let dir = scratch("deterministic");
    let (a, b) = (dir.join("a"), dir.join("b"));
    assert_eq!(build(&config, &store, &a).status.code(), Some(0));
    assert_eq!(build(&config, &store, &b).status.code(), Some(0));
    let (first, second) = (tree(&a), tree(&b));
    // per API: k8s.yaml, queue.json, models.config and three S3 objects
    assert_eq!(first.len(), 13, "{:?}", first.keys());
    assert_eq!(first, second);
    // rebuilding over an existing bundle replaces it with the same bytes
    assert_eq!(build(&config, &store, &a).status.code(), Some(0));
    assert_eq!(tree(&a), second);
    // nothing is left beside the output
    let beside: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");
}

#[test]
fn a_failed_build_leaves_the_previous_bundle_untouched() {
    let (config, store) = example();
    let dir = scratch("failed");
    let out = dir.join("bundle");
    assert_eq!(build(&config, &store, &out).status.code(), Some(0));
    let before = tree(&out);
    let broken = dir.join("cortex.yaml");
    let text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("max_replicas: 5", "max_replicas: 0");
    std::fs::write(&broken, text).expect("broken config");
    for handler in ["iris_handler.py", "text_handler.py"] {
        std::fs::copy(
            root().join("examples/iris").join(handler),
            dir.join(handler),
        )
        .expect("handler");
    }
    let failed = build(&broken, &store, &out);
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert_eq!(tree(&out), before);
}

#[test]
fn a_directory_that_is_not_a_bundle_is_never_replaced() {
    let (config, store) = example();
    let dir = scratch("not-a-bundle");
    let out = dir.join("src");
    std::fs::create_dir_all(&out).expect("dir");
    std::fs::write(out.join("main.rs"), "fn main() {}").expect("file");
    let refused = build(&config, &store, &out);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("TFC5002"));
    assert_eq!(tree(&out).keys().collect::<Vec<_>>(), ["main.rs"]);
}

#[test]
fn a_bundle_that_cannot_be_written_could_not_finish() {
    let (config, store) = example();
    let dir = scratch("unwritable");
    std::fs::write(dir.join("a-file"), "x").expect("file");
    let out = build(&config, &store, &dir.join("a-file/bundle"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("TFC5001"));
}

#[test]
fn build_needs_the_models() {
    let (config, _) = example();
    let out = Command::new(env!("CARGO_BIN_EXE_cortex-tfc"))
        .arg("build")
        .arg(&config)
        .arg("--offline")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// A big project (many files, each synced) so a kill can land mid-write.
fn big_project(dir: &Path, apis: usize, tag: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("project dir");
    let mut text = String::new();
    for i in 0..apis {
        text.push_str(&format!(
            "- name: api-{i}\n  kind: AsyncAPI\n  handler:\n    type: tensorflow\n    path: handler.py\n    env: {{TAG: \"{tag}\"}}\n    models:\n      path: s3://models/m/\n"
        ));
    }
    std::fs::write(dir.join("cortex.yaml"), text).expect("config");
    std::fs::write(dir.join("handler.py"), handler::HANDLER_PY).expect("handler");
    for file in [
        "saved_model.pb",
        "variables/variables.index",
        "variables/variables.data-00000-of-00001",
    ] {
        let path = dir.join("store/models/m/1").join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::copy(
            root()
                .join("tests/fixtures/savedmodels/tf23-one-signature")
                .join(file),
            path,
        )
        .expect("model file");
    }
    dir.join("cortex.yaml")
}

fn start_build(config: &Path, out: &Path) -> std::process::Child {
    let store = config.parent().expect("project").join("store");
    build_command(config, &store, out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn")
}

fn temp_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".bundle.tmp-"))
        .map(|e| e.path())
        .collect()
}

#[test]
fn killing_a_build_mid_write_leaves_the_previous_bundle_intact() {
    let dir = scratch("killed");
    let out = dir.join("bundle");
    let old_config = big_project(&dir.join("old"), 150, "old");
    let new_config = big_project(&dir.join("new"), 150, "new");
    let store = |config: &Path| config.parent().expect("project").join("store");
    assert_eq!(
        build(&old_config, &store(&old_config), &out).status.code(),
        Some(0)
    );
    let old = tree(&out);
    let reference = dir.join("reference");
    assert_eq!(
        build(&new_config, &store(&new_config), &reference)
            .status
            .code(),
        Some(0)
    );
    let new = tree(&reference);
    assert_ne!(old, new);
    let mut killed_mid_write = 0;
    for attempt in 0..20 {
        let mut child = start_build(&new_config, &out);
        // kill as soon as the temporary bundle exists: the build is writing
        let started = Instant::now();
        while temp_dirs(&dir).is_empty() && started.elapsed().as_secs() < 30 {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        let _ = child.kill();
        let _ = child.wait();
        let leftovers = temp_dirs(&dir);
        let now = tree(&out);
        // whole old or whole new: never a mix, never partial
        assert!(
            now == old || now == new,
            "attempt {attempt}: the bundle is partial ({} files)",
            now.len()
        );
        if !leftovers.is_empty() && now == old {
            killed_mid_write += 1;
        }
        for temp in leftovers {
            let _ = std::fs::remove_dir_all(temp);
        }
        if now == new {
            assert_eq!(
                build(&old_config, &store(&old_config), &out).status.code(),
                Some(0)
            );
        }
        if killed_mid_write >= 3 {
            break;
        }
    }
    assert!(
        killed_mid_write >= 3,
        "only {killed_mid_write} kills landed mid-write"
    );
}

/// A project file that cannot be read stops the build with TFC5003 (exit
/// 3): the zip, and so the project ID in the spec, cannot be made. Reading
/// `/proc/self/mem` from its start fails even for root.
#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_project_file_could_not_finish() {
    let (config, store) = example();
    let dir = scratch("unreadable");
    let project = dir.join("project");
    std::fs::create_dir_all(&project).expect("project");
    for file in ["cortex.yaml", "iris_handler.py", "text_handler.py"] {
        std::fs::copy(config.with_file_name(file), project.join(file)).expect("copy");
    }
    std::os::unix::fs::symlink("/proc/self/mem", project.join("unreadable.bin")).expect("link");
    let out = build(&project.join("cortex.yaml"), &store, &dir.join("bundle"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("TFC5003"), "{stderr}");
    assert!(stderr.contains("unreadable.bin"), "{stderr}");
    assert!(!dir.join("bundle").exists());
}
