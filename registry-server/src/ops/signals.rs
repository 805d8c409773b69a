//! The process signals the registry answers: SIGTERM and SIGINT stop it gracefully, SIGHUP
//! reloads the CRLs.
//!
//! Each handler is installed once, first thing in `serve` (before the store is opened and long
//! before readiness is announced), and kept for the whole run. A signal that arrives before its
//! handler exists takes the default action, which for all three is to kill the process: a
//! service manager that starts and at once stops the registry would see it die by SIGTERM
//! instead of stopping cleanly. A signal that arrives while the registry is still starting is
//! held by its handler and acted on as soon as the server runs.

use std::io;

#[cfg(unix)]
use tokio::signal::unix::{Signal, SignalKind, signal};

/// The installed handlers.
pub struct Signals {
    /// Resolves on the first SIGTERM or SIGINT.
    pub stop: Stop,
    /// SIGHUPs, for the CRL reloader.
    pub hangups: Hangups,
}

impl Signals {
    /// Installs the handlers; needs a running Tokio runtime.
    pub fn install() -> io::Result<Self> {
        #[cfg(unix)]
        {
            Ok(Self {
                stop: Stop {
                    terminate: signal(SignalKind::terminate())?,
                    interrupt: signal(SignalKind::interrupt())?,
                },
                hangups: Hangups(signal(SignalKind::hangup())?),
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {
                stop: Stop {
                    interrupt: tokio::signal::windows::ctrl_c()?,
                },
                hangups: Hangups,
            })
        }
    }
}

/// SIGTERM and SIGINT, installed.
pub struct Stop {
    #[cfg(unix)]
    terminate: Signal,
    #[cfg(unix)]
    interrupt: Signal,
    #[cfg(not(unix))]
    interrupt: tokio::signal::windows::CtrlC,
}

impl Stop {
    /// Resolves when SIGTERM or SIGINT has arrived, including one that arrived before this was
    /// first polled.
    pub async fn received(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        self.interrupt.recv().await;
        tracing::info!("shutting down: finishing requests in flight");
    }
}

/// SIGHUP, installed (never arrives where there is no such signal).
pub struct Hangups(#[cfg(unix)] Signal);

impl Hangups {
    /// Resolves on the next SIGHUP (or one already pending).
    pub async fn next(&mut self) {
        #[cfg(unix)]
        self.0.recv().await;
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    }
}
