//! The `cortex-tfc` binary: parse the command line, run, print once, exit.

use std::io::Write;

use clap::Parser;
use cortex_tfc::cli::Cli;
use cortex_tfc::commands::{ExitCode, run};

fn main() {
    let outcome = run(Cli::parse());
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
