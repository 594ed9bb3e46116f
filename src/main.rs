use std::io::Read;

use clap::{Parser, Subcommand};
use latchkey::auth::clock::SystemClock;
use latchkey::auth::AuthService;
use latchkey::config::Config;
use latchkey::db::Db;
use latchkey::{startup, telemetry};

#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Self-hosted login and session service"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and API (the default).
    Serve,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create an admin, or promote an existing account. The password is read from stdin.
    Create {
        #[arg(long)]
        email: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Admin {
            action: AdminAction::Create { email },
        } => create_admin(&email).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("latchkey: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let options = startup::leptos_options(&config)?;
    let addr = config.site_addr;
    let state = startup::build_state(config, options).await?;
    startup::spawn_background(&state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    startup::serve(listener, startup::router(state)).await?;
    Ok(())
}

async fn create_admin(email: &str) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let db = Db::connect(&config.database_url).await?;
    let auth = AuthService::start(db, &config, std::sync::Arc::new(SystemClock)).await?;
    let id = auth.bootstrap_admin(email, &password.into()).await?;
    let email = latchkey::auth::domain::Email::parse(email)?;
    println!("admin {} ready (id {id})", email.as_str());
    Ok(())
}
