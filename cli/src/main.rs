//! `iommu-play`: runs scenario files against the kernel model (shared/SCENARIO.md
//! "Command line and results").
//!
//! Exit status: 0 when every expectation holds, 1 when one fails, 2 on a bad file or usage.

use anstream::{print, println};
use anstyle::{AnsiColor, Style};
use clap::{Parser, Subcommand};
use iommu_engine::scenario::{self, eras_to_check, Options, Phase, Run, Scenario};
use iommu_engine::trace::{Nested, Severity};
use iommu_engine::Era;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "iommu-play",
    version,
    about = "Run IOMMU scenarios (.iommu files) against a model of the Linux IOMMU core",
    after_help = "Exit status: 0 every expectation holds, 1 an expectation failed, 2 bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios and print the call trace with the result of every expectation.
    Run {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Run in this era instead of the file's `generation` header (legacy, singleton,
        /// shared, unified, v5.19, current). `--generation`/`-g` is the same option.
        #[arg(long, short, value_parser = parse_era, visible_alias = "generation", visible_short_alias = 'g')]
        era: Option<Era>,
        /// Run each file in its header era and in every era its `@` lists name.
        #[arg(long, conflicts_with = "era")]
        all: bool,
        /// Print the trace as JSON.
        #[arg(long)]
        json: bool,
        /// Show the kernel functions each call went through.
        #[arg(long, short)]
        verbose: bool,
        /// Extra `config` settings, after the file's own (`'pcie_acs_override=downstream
        /// iommu=pt'`): kernel command-line names work.
        #[arg(long)]
        config: Option<String>,
    },
    /// Run a scenario in every era and print the calls whose results differ.
    Compare {
        file: String,
        /// Print every call, not only those that differ.
        #[arg(long)]
        all: bool,
    },
    /// Print the iommu groups as /sys/kernel/iommu_groups lines, with why devices share one.
    Groups {
        file: String,
        /// Extra `config` settings, after the file's own (`'pcie_acs_override=downstream'`).
        #[arg(long)]
        config: Option<String>,
        /// Print which groups would split or merge under these `config` settings instead
        /// (`'pcie_acs_override=downstream,multifunction'`, `'pci=config_acs=…'`).
        #[arg(long, value_name = "SETTINGS")]
        what_if: Option<String>,
    },
    /// Print a scenario in canonical form (what share links and presets use).
    Fmt { file: String },
    /// Import a real machine from pasted lspci / iommu group listings / dmesg / /proc/cmdline
    /// (shared/IMPORT.md): print the scenario that rebuilds it, or with --check the report.
    #[command(
        after_help = "Exit status: 0 the model reproduces the listed groups (or the scenario was written), \
1 it does not (--check, --json), 2 nothing readable (FILE:LINE:COL: message)."
    )]
    Import {
        /// Pasted text files, read as one paste.
        #[arg(required = true)]
        files: Vec<String>,
        /// Write the scenario to this file (default: standard output, unless --check/--json).
        #[arg(long, short)]
        output: Option<String>,
        /// Print the report: real vs simulated groups, reasons, inferred facts, differences.
        #[arg(long)]
        check: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// `key=value …` settings for the scenario's `config` line (what-ifs).
        #[arg(long)]
        config: Option<String>,
        /// Infer nothing: only the facts read, the quirks and the known-devices table.
        #[arg(long)]
        no_infer: bool,
    },
    /// Explain a concept: `explain era singleton`, `explain domain DMA_FQ`, `explain group`,
    /// `explain owner`; `explain era` lists one topic, `explain` everything.
    Explain {
        /// group, domain, owner, era or badge.
        topic: Option<String>,
        /// A domain type (BLOCKED, IDENTITY, UNMANAGED, DMA, DMA_FQ) or an era name.
        key: Option<String>,
    },
}

fn parse_era(s: &str) -> Result<Era, String> {
    Era::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Era::ALL.iter().map(|g| g.name()).collect();
        format!("unknown era `{s}` (one of {})", names.join(", "))
    })
}

const OK: Style = AnsiColor::Green.on_default();
const BAD: Style = AnsiColor::Red.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            files,
            era,
            all,
            json,
            verbose,
            config,
        } => cmd_run(&files, era, all, json, verbose, config.as_deref()),
        Command::Compare { file, all } => cmd_compare(&file, all),
        Command::Groups {
            file,
            config,
            what_if,
        } => cmd_groups(&file, config.as_deref(), what_if.as_deref()),
        Command::Import {
            files,
            output,
            check,
            json,
            config,
            no_infer,
        } => cmd_import(&files, output.as_deref(), check, json, config, no_infer),
        Command::Explain { topic, key } => cmd_explain(topic.as_deref(), key.as_deref()),
        Command::Fmt { file } => match load(&file) {
            Ok((_, s)) => {
                print!("{}", s.print());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
    }
}

/// Reads and parses a file; on failure prints `FILE:LINE:COL: message` and gives exit 2.
fn load(file: &str) -> Result<(String, Scenario), ExitCode> {
    // Read at most one byte past the parser's input limit, so `/dev/zero` or a huge file
    // gives the parser's "larger than 1048576 bytes" error instead of exhausting memory.
    let read = std::fs::File::open(file).and_then(|f| {
        use std::io::Read;
        let mut bytes = Vec::new();
        f.take(iommu_engine::limits::MAX_INPUT as u64 + 1)
            .read_to_end(&mut bytes)
            .map(|_| bytes)
    });
    let text = match read {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("{file}: {e}");
            return Err(ExitCode::from(2));
        }
    };
    match scenario::parse(&text) {
        Ok(s) => Ok((text, s)),
        Err(e) => {
            eprint!("{}", e.render(file, &text));
            Err(ExitCode::from(2))
        }
    }
}

/// Appends `--config` settings to the scenario; a bad one prints `--config:1:COL: message`.
fn with_config(mut s: Scenario, config: Option<&str>) -> Result<Scenario, ExitCode> {
    if let Some(c) = config {
        match scenario::parse_config_settings(c) {
            Ok(settings) => s.push_config(settings),
            Err(e) => {
                eprint!("{}", e.render("--config", c));
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(s)
}

fn execute(file: &str, text: &str, s: &Scenario, g: Option<Era>) -> Result<Run, ExitCode> {
    let opts = Options {
        era: g,
        snapshots: false,
    };
    scenario::run_scenario(s, text, &opts).map_err(|e| {
        eprint!("{}", e.render(file, text));
        ExitCode::from(2)
    })
}

fn cmd_run(
    files: &[String],
    g: Option<Era>,
    all: bool,
    json: bool,
    verbose: bool,
    config: Option<&str>,
) -> ExitCode {
    let mut failed = false;
    let mut runs = Vec::new();
    for file in files {
        let (text, s) = match load(file).and_then(|(t, s)| Ok((t, with_config(s, config)?))) {
            Ok(x) => x,
            Err(code) => return code,
        };
        let gens = if all {
            eras_to_check(&s).into_iter().map(Some).collect()
        } else {
            vec![g]
        };
        for g in gens {
            let run = match execute(file, &text, &s, g) {
                Ok(r) => r,
                Err(code) => return code,
            };
            failed |= !run.passed();
            if json {
                runs.push(serde_json::json!({ "file": file, "run": run }));
            } else {
                print_run(file, &run, verbose);
            }
        }
    }
    if json {
        match serde_json::to_string_pretty(&runs) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("cannot print JSON: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The style of a result by its [`Severity`].
fn style(s: Severity) -> Style {
    match s {
        Severity::Error | Severity::Bug => BAD,
        Severity::NotAvailable => DIM,
        Severity::Ok | Severity::Info | Severity::Warning => OK,
    }
}

fn print_run(file: &str, run: &Run, verbose: bool) {
    println!("{BOLD}{file}{BOLD:#} {DIM}generation {}{DIM:#}", run.era);
    let width = run
        .steps
        .iter()
        .map(|s| s.source.chars().count())
        .max()
        .unwrap_or(0)
        .min(64);
    // Steps and checks interleaved in source order (a step before a check on one line).
    let mut checks = run.checks.iter().peekable();
    for step in &run.steps {
        while let Some(c) = checks.next_if(|c| c.line < step.line) {
            print_check(c);
        }
        let e = &step.event;
        let label = scenario::view::step_label(step);
        let result = scenario::view::result_text(step);
        let rs = style(e.result.severity());
        // A `=> VALUE` on this very call is reported on the call's own line.
        let verdict = match checks.next_if(|c| c.line == step.line && step.phase != Phase::Boot) {
            Some(c) if c.ok => format!("  {OK}✓{OK:#}"),
            Some(c) => format!("  {BAD}FAIL: expected {}{BAD:#}", c.expected),
            None => String::new(),
        };
        println!(
            "{DIM}{:>4}{DIM:#}  {label:<width$}  = {rs}{result}{rs:#}{verdict}",
            step.line
        );
        for w in &e.warns {
            println!("      {WARN}{w}{WARN:#}");
        }
        if let Some(sum) = &e.workload {
            for l in scenario::series::series_text(sum).lines() {
                println!("      {l}");
            }
        }
        let failed = e.result.severity() != Severity::Ok;
        if verbose || (step.phase != Phase::Boot && failed) {
            print_nested(&e.nested, 3);
        }
        for b in &e.breaches {
            println!("      {BAD}breach {}{BAD:#}: {}", b.invariant, b.message);
        }
    }
    for c in checks {
        print_check(c);
    }
    if let Some(bug) = &run.crashed {
        println!("      {BAD}kernel BUG{BAD:#}: {bug} (the run stopped here)");
    }
    let failed = run.failures().count();
    let st = if failed == 0 { OK } else { BAD };
    println!(
        "{st}{} passed, {} failed{st:#} {DIM}expectations in {file} [{}]{DIM:#}\n",
        run.checks.len() - failed,
        failed,
        run.era
    );
}

fn print_check(c: &iommu_engine::scenario::CheckOutcome) {
    if c.ok {
        println!("{DIM}{:>4}{DIM:#}  {OK}ok{OK:#}    {}", c.line, c.source);
    } else {
        println!(
            "{DIM}{:>4}{DIM:#}  {BAD}FAIL{BAD:#}  {}: expected {}, got {}",
            c.line, c.source, c.expected, c.actual
        );
    }
}

fn print_nested(nested: &[Nested], depth: usize) {
    for n in nested {
        if n.is_summary() {
            println!("{:indent$}{DIM}{}{DIM:#}", "", n.name, indent = depth * 2);
            continue;
        }
        let result = if n.result.is_void() {
            String::new()
        } else {
            format!(" = {}", n.result)
        };
        println!(
            "{:indent$}{DIM}↳ {}{result}{DIM:#}",
            "",
            n.call_text(),
            indent = depth * 2
        );
        print_nested(&n.children, depth + 1);
    }
}

fn cmd_compare(file: &str, all: bool) -> ExitCode {
    let (text, s) = match load(file) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let cmp = match scenario::compare(&s, &text) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{}", e.render(file, &text));
            return ExitCode::from(2);
        }
    };
    let call_w = cmp
        .rows
        .iter()
        .map(|r| r.call.chars().count())
        .max()
        .unwrap_or(4)
        .min(60);
    let col_w = 10;
    print!("{BOLD}{:>4}  {:<call_w$}", "line", "call");
    for g in &cmp.eras {
        print!("  {:<col_w$}", g.name());
    }
    println!("{BOLD:#}");
    let mut shown = 0;
    for row in cmp.rows.iter().filter(|r| r.differs || all) {
        shown += 1;
        let src: String = row.call.chars().take(call_w).collect();
        print!("{DIM}{:>4}{DIM:#}  {src:<call_w$}", row.line);
        for c in &row.results {
            let st = style(c.severity());
            print!("  {st}{c:<col_w$}{st:#}");
        }
        println!();
    }
    if shown == 0 {
        println!("{DIM}every call returns the same in every generation{DIM:#}");
    }
    if !cmp.failing.is_empty() {
        let failing: Vec<String> = cmp.failing.iter().map(ToString::to_string).collect();
        println!("{BAD}expectations fail in: {}{BAD:#}", failing.join(", "));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn cmd_groups(file: &str, config: Option<&str>, what_if: Option<&str>) -> ExitCode {
    let (text, s) = match load(file).and_then(|(t, s)| Ok((t, with_config(s, config)?))) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if let Some(w) = what_if {
        if let Err(e) = scenario::parse_config_settings(w) {
            eprint!("{}", e.render("--what-if", w));
            return ExitCode::from(2);
        }
        return match scenario::view::what_if_config(&s, &text, w) {
            Ok(d) => {
                print!("{}", scenario::view::what_if_text(&d));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                ExitCode::from(2)
            }
        };
    }
    match execute(file, &text, &s, None) {
        Ok(run) => {
            print!("{}", run.sysfs);
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// `iommu-play import`: the files are read as one paste; an error's line is mapped back to
/// its file.
fn cmd_import(
    files: &[String],
    output: Option<&str>,
    check: bool,
    json: bool,
    config: Option<String>,
    no_infer: bool,
) -> ExitCode {
    use iommu_engine::import::{import, ImportOptions, MAX_IMPORT_INPUT};
    let mut text = String::new();
    // (file, first line of it in `text`)
    let mut starts: Vec<(&str, u32)> = Vec::new();
    for file in files {
        let read = std::fs::File::open(file).and_then(|f| {
            use std::io::Read;
            let mut bytes = Vec::new();
            f.take(MAX_IMPORT_INPUT as u64 + 1)
                .read_to_end(&mut bytes)
                .map(|_| bytes)
        });
        match read {
            Ok(bytes) => {
                let line = text.lines().count() as u32 + 1;
                starts.push((file, line));
                text.push_str(&String::from_utf8_lossy(&bytes));
                if !text.ends_with('\n') {
                    text.push('\n');
                }
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let opts = ImportOptions {
        config,
        no_inference: no_infer,
    };
    let out = match import(&text, &opts) {
        Ok(o) => o,
        Err(e) => {
            let (file, first) = starts
                .iter()
                .rev()
                .find(|(_, l)| *l <= e.line)
                .copied()
                .unwrap_or((files.first().map_or("-", String::as_str), 1));
            let line = if e.message.starts_with("--config") {
                e.line
            } else {
                e.line - first + 1
            };
            let file = if e.message.starts_with("--config") {
                "--config"
            } else {
                file
            };
            eprintln!("{file}:{line}:{}: {}", e.col, e.message);
            return ExitCode::from(2);
        }
    };
    if let Some(path) = output {
        if let Err(e) = std::fs::write(path, &out.scenario_text) {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    }
    if json {
        match serde_json::to_string_pretty(&out.report) {
            Ok(j) => println!("{j}"),
            Err(e) => {
                eprintln!("json: {e}");
                return ExitCode::from(2);
            }
        }
    } else if check {
        print!("{}", out.report_text());
    } else if output.is_none() {
        print!("{}", out.scenario_text);
    }
    if (check || json) && !out.report.reproduced {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `iommu-play explain [TOPIC [KEY]]`: the words of the engine's view layer
/// (`scenario::explain`), the same the web UI's legend and tooltips show.
fn cmd_explain(topic: Option<&str>, key: Option<&str>) -> ExitCode {
    use scenario::explain::{concept, of, Topic, CONCEPTS};
    let topics: Vec<&str> = Topic::ALL.iter().map(|t| t.name()).collect();
    let Some(topic) = topic else {
        for c in CONCEPTS {
            println!("{BOLD}[{}]{BOLD:#} {c}\n", c.topic);
        }
        return ExitCode::SUCCESS;
    };
    let Some(t) = Topic::parse(topic) else {
        eprintln!("unknown topic `{topic}` (one of {})", topics.join(", "));
        return ExitCode::from(2);
    };
    let chosen: Vec<_> = match key {
        None => of(t).collect(),
        Some(k) => concept(t, k).into_iter().collect(),
    };
    if chosen.is_empty() {
        let keys: Vec<&str> = of(t).map(|c| c.key).collect();
        eprintln!(
            "nothing called `{}` in {t} (one of {})",
            key.unwrap_or_default(),
            keys.join(", ")
        );
        return ExitCode::from(2);
    }
    for c in chosen {
        println!("{c}");
    }
    ExitCode::SUCCESS
}
