//! The `cortex-tfc` binary: parse the command line, run, print once, exit.

use std::io::Write;

use clap::Parser;
use cortex_tfc::cli::Cli;
use cortex_tfc::commands::{ExitCode, run};

/// Stack of the thread that does the work. A legal cortex.yaml nests up to
/// `yaml::MAX_DEPTH` levels (Cortex reads 10,000): the reader and the checks
/// are iterative, but writing the bundle hands `handler.config` to
/// serde_json, which serialises (and drops) values recursively. Reserved,
/// not committed: only the pages a deep file touches are used.
const WORK_STACK: usize = 64 * 1024 * 1024;

fn main() {
    let cli = Cli::parse();
    let outcome = match std::thread::Builder::new()
        .stack_size(WORK_STACK)
        .spawn(move || run(cli))
    {
        Ok(worker) => worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        // no room for the reservation (a tight `ulimit -v`): a file that
        // shallow still fits the main thread's stack
        Err(_) => run(Cli::parse()),
    };
    let mut wrote = std::io::stdout()
        .write_all(&outcome.output.stdout)
        .and_then(|()| std::io::stdout().flush());
    if wrote.is_ok() {
        wrote = std::io::stderr().write_all(&outcome.output.stderr);
    }
    let exit = match wrote {
        Ok(()) => outcome.exit,
        // e.g. stdout closed by `| head`: the run could not finish its output
        Err(_) => ExitCode::CouldNotFinish,
    };
    // no destructors run past this point: `outcome.checked` is never freed
    // piece by piece, which for a big file would only delay the exit
    std::process::exit(exit as i32);
}
