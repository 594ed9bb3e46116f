use std::io::Read;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use latchkey::auth::clock::SystemClock;
use latchkey::auth::password_reset::RESET_LINK_TTL_SECS;
use latchkey::auth::{AdminCreation, AuthService, Delivered, HandToIssuer};
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
    /// Create a new admin account. The password is read from stdin. Refuses an email that
    /// already has an account (see `promote`).
    Create {
        #[arg(long)]
        email: String,
    },
    /// Make an existing account an admin. Every session of the account ends.
    Promote {
        #[arg(long)]
        email: String,
    },
    /// Set a new password for an account, read from stdin. Every session of the account ends.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Print a one-time link with which the account's owner sets a new password within 30
    /// minutes. Earlier unused links of the account stop working; using it ends every session.
    ResetLink {
        #[arg(long)]
        email: String,
    },
}

fn main() -> std::process::ExitCode {
    latchkey::memory::return_large_blocks_to_the_os();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            eprintln!("latchkey: could not start the async runtime: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    match Config::log_format_from_env() {
        Ok(format) => telemetry::init(format),
        Err(err) => {
            eprintln!("latchkey: {err}");
            return std::process::ExitCode::FAILURE;
        }
    }
    let cli = match parse_arguments() {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Admin { action } => admin(action).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("latchkey: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The arguments, with every environment variable and its default after `--help` and
/// `serve --help`: the configuration is the environment, so that is where people look.
fn parse_arguments() -> Result<Cli, clap::Error> {
    let variables = latchkey::config::help();
    let matches = Cli::command()
        .after_help(variables.clone())
        .mut_subcommand("serve", |serve| serve.after_help(variables))
        .try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let site = startup::site_files();
    let options = startup::leptos_options(&config, site.as_deref())?;
    let addr = config.site_addr;
    let _single_server = latchkey::db::claim_single_server(&config.database_url)?;
    // Before anything is recorded; bound before the database is touched, so a taken port
    // stops start-up at once.
    let metrics = match config.metrics_addr {
        Some(addr) => Some(startup::MetricsListener::bind(addr).await?),
        None => None,
    };
    let mut state = startup::build_state(config, options).await?;
    state.site = site;
    startup::spawn_background(&state);
    if let Some(metrics) = metrics {
        metrics.spawn(&state)?;
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let limits = state.config.connection_limits();
    startup::serve(listener, startup::router(state), limits).await;
    Ok(())
}

async fn admin(action: AdminAction) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let db = Db::connect(&config.database_url).await?;
    let auth =
        AuthService::start(db, config.auth_settings(), std::sync::Arc::new(SystemClock)).await?;
    match action {
        AdminAction::Create { email } => {
            let email = normalised(&email)?;
            match auth.create_admin(&email, &password_from_stdin()?).await? {
                AdminCreation::Created { id } => println!("admin {email} created (id {id})"),
                AdminCreation::AlreadyExists { .. } => anyhow::bail!(
                    "{email} already has an account; nothing was changed. To make it an admin \
                     run `latchkey admin promote --email {email}` (this ends all its sessions)"
                ),
            }
        }
        AdminAction::Promote { email } => {
            let email = normalised(&email)?;
            let done = auth
                .promote_to_admin(&email)
                .await
                .map_err(|e| no_account(e, &email))?;
            println!(
                "{email} is now an admin (id {}); {} session(s) ended",
                done.id, done.ended_sessions
            );
            // Promotion keeps the password: whoever chose it can sign in as an admin now.
            eprintln!(
                "latchkey: the account keeps its current password. Unless you know who set it, \
                 run `latchkey admin reset-password --email {email}` now"
            );
        }
        AdminAction::ResetPassword { email } => {
            let email = normalised(&email)?;
            let done = auth
                .reset_password(&email, &password_from_stdin()?)
                .await
                .map_err(|e| no_account(e, &email))?;
            println!(
                "password of {email} reset (id {}); {} session(s) ended",
                done.id, done.ended_sessions
            );
        }
        AdminAction::ResetLink { email } => {
            let email = normalised(&email)?;
            let delivered = auth
                .reset_link_for_email(&email, &HandToIssuer)
                .await
                .map_err(|e| no_account(e, &email))?;
            match delivered {
                Delivered::ToIssuer(link) => {
                    // To stdout only, for the operator to pass on; never to a log.
                    println!("{}", link.url());
                    println!(
                        "one-time password reset link for {email}; it expires in {} minutes \
                         (unix time {}). Earlier unused links of this account no longer work.",
                        RESET_LINK_TTL_SECS / 60,
                        link.expires_at
                    );
                }
                Delivered::ToOwner { expires_at } => println!(
                    "a reset link was sent to {email}; it expires at unix time {expires_at}"
                ),
            }
        }
    }
    Ok(())
}

fn normalised(email: &str) -> anyhow::Result<String> {
    Ok(latchkey::auth::domain::Email::parse(email)?
        .as_str()
        .to_owned())
}

fn no_account(err: latchkey::auth::AuthError, email: &str) -> anyhow::Error {
    match err {
        latchkey::auth::AuthError::NotFound => anyhow::anyhow!("no account has the email {email}"),
        other => other.into(),
    }
}

/// The whole of stdin, without the final line break, so `echo pw |` and a here-string work.
fn password_from_stdin() -> anyhow::Result<secrecy::SecretString> {
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned().into())
}
