//! `terraform-provider-domo`: started by Terraform as a plugin.

use clap::Parser;
use terraform_provider_domo::{logging, plugin, server::ProviderService};

/// The address Terraform knows this provider by in the debug reattach line.
const DEFAULT_PROVIDER_ADDRESS: &str = "registry.terraform.io/tf-domo/domo";

#[derive(Parser)]
#[command(
    version,
    about = "Terraform / OpenTofu provider for Domo users. Terraform runs this binary; you normally do not."
)]
struct Args {
    /// Serve without Terraform's handshake and print a TF_REATTACH_PROVIDERS
    /// value, to debug the provider from another shell.
    #[arg(long)]
    debug: bool,
    /// The provider source address to print in debug mode.
    #[arg(long, default_value = DEFAULT_PROVIDER_ADDRESS)]
    provider_address: String,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    logging::init();
    // One thread: the work is waiting on Terraform and Domo, and Terraform
    // keeps the machine's cores busy. Measured with scripts/bench-scale, a
    // single-threaded runtime spends 10-20% less CPU per resource than two
    // workers handing tasks and wake-ups to each other.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-domo: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let opts = plugin::ServeOptions {
        debug: args.debug,
        provider_address: args.provider_address,
    };
    let result = runtime.block_on(plugin::serve(
        opts,
        plugin::PluginEnv::from_process(),
        ProviderService::default(),
    ));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
