//! `iommu-play`: runs scenario files (shared/SCENARIO.md "Command line and results").
use clap::Parser;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "iommu-play",
    version,
    about = "Run IOMMU scenario files against the kernel model"
)]
enum Cli {
    /// Print the engine's version.
    Version,
}

fn main() -> ExitCode {
    match Cli::parse() {
        Cli::Version => {
            println!("iommu-play {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
    }
}
