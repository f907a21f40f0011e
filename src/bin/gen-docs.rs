//! `gen-docs`: renders the registry docs in `docs/` from `templates/`,
//! `examples/` and the provider's schemas (see the `docs` module).
//!
//! Run `cargo run --bin gen-docs` after changing a schema description, a
//! template or an example; `--check` only reports what is out of date.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use terraform_provider_domo::docs;

#[derive(Parser)]
#[command(about = "Renders docs/ from templates/, examples/ and the provider's schemas.")]
struct Args {
    /// The repository root (holding templates/, examples/ and docs/).
    #[arg(long, default_value = env!("CARGO_MANIFEST_DIR"))]
    root: PathBuf,
    /// Write nothing; exit 1 when docs/ differs from what would be written.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = docs::generate(&args.root).and_then(|pages| {
        if args.check {
            docs::differences(&args.root, &pages)
        } else {
            docs::write(&args.root, &pages)
        }
    });
    match result {
        Ok(changes) if args.check && !changes.is_empty() => {
            for c in &changes {
                eprintln!("{c}");
            }
            eprintln!("docs/ is out of date: run `cargo run --bin gen-docs`");
            ExitCode::FAILURE
        }
        Ok(changes) => {
            if !args.check {
                for c in &changes {
                    println!("wrote docs/{c}");
                }
            }
            if changes.is_empty() {
                println!("docs/ is up to date");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-docs: {e}");
            ExitCode::FAILURE
        }
    }
}
