//! The `infotv` command: parses the command line and hands over to the library.

use std::net::SocketAddr;

use anyhow::Result;
use clap::Parser;

use infotv::app::{self, App, Listeners};
use infotv::cli::{self, Cli, Command, ServeArgs};

fn main() -> Result<()> {
    // Plain key=value lines for journald by default; one JSON object per line
    // for log shippers with INFOTV_LOG_FORMAT=json. The level comes from RUST_LOG.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    if std::env::var("INFOTV_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().flatten_event(true).init();
    } else {
        // Colour codes only on a terminal: under systemd, journald stores plain text.
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())).init();
    }
    infotv::memory::tune_allocator();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Render(args)) => cli::render(args),
        Some(Command::Check(args)) => cli::check(args),
        Some(Command::Account(command)) => cli::accounts::account(command),
        Some(Command::Audit(command)) => cli::accounts::audit(command),
        Some(Command::Backup { out, data }) => cli::backup(&out, &data.data),
        Some(Command::Restore { file, replace, data }) => cli::restore(&file, &data.data, replace),
        None => serve(cli.serve),
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let stop = app::stop_on_signal()?;
        let config = args.config()?;
        let listeners = Listeners::bind(args.listen, args.admin_listen).await?;
        let app = App::start(config, listeners).await?;
        let (boxes, operators) = app.addresses()?;
        let shown =
            |a: SocketAddr| if a.ip().is_unspecified() { format!("127.0.0.1:{}", a.port()) } else { a.to_string() };
        let mut banner = String::new();
        if let Some(password) = &app.first_password {
            banner.push_str(&format!(
                "infotv: first start: account admin, password {password} (saved in {}; change it at the first login)\n",
                args.data.join(infotv::admin::FIRST_PASSWORD).display()
            ));
        }
        // The operators' line last: tests read up to it.
        banner.push_str(&format!(
            "infotv: serving {} on http://{}/ (boxes: http://<this-host>:{}/)\ninfotv: operators on {}://{}/",
            args.channels.display(),
            shown(boxes),
            boxes.port(),
            if app.admin_tls() { "https" } else { "http" },
            shown(operators)
        ));
        // One write: tests read these lines and may close the pipe after them.
        cli::say(&format!("{banner}\n"));
        app.run(stop).await
    })
}
