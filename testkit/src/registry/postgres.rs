//! A PostgreSQL server of the test's own: a fresh cluster in a temporary directory, on a free
//! loopback port, stopped and removed when dropped. PostgreSQL refuses to run as root, so a
//! test running as root runs it as the `postgres` user the Debian package makes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running PostgreSQL server.
#[derive(Debug)]
pub struct Postgres {
    /// The cluster's directory (removed on drop).
    pub data: tempfile::TempDir,
    /// The server.
    pub process: Option<Child>,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
}

impl Postgres {
    /// Makes a cluster and starts it; waits until it takes connections.
    pub fn start() -> Self {
        let data = tempfile::Builder::new()
            .prefix("eproxy-pg-")
            .tempdir()
            .expect("a temporary directory");
        let cluster = data.path().join("cluster");
        std::fs::create_dir(&cluster).expect("the cluster directory");
        if is_root() {
            chown_to_postgres(data.path());
            chown_to_postgres(&cluster);
        }
        let status = as_postgres(&bin("initdb"))
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "-D",
            ])
            .arg(&cluster)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed");
        let mut postgres = Self {
            data,
            process: None,
            port: super::process::free_port(),
        };
        postgres.serve();
        postgres
    }

    /// Starts the server (again) on its port, and waits until it takes connections.
    pub fn serve(&mut self) {
        let cluster = self.data.path().join("cluster");
        let child = as_postgres(&bin("postgres"))
            .arg("-D")
            .arg(&cluster)
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "max_connections=200"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres runs");
        self.process = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ready = Command::new(bin("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("postgres did not take connections within 30 s");
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A base backup of the running server, taken as an operator takes one (`pg_basebackup`,
    /// with the write-ahead log it needs streamed in): restored with [`Postgres::restore`].
    pub fn base_backup(&self) -> tempfile::TempDir {
        self.backup_with(&[])
    }

    /// A hot standby of this server, streaming from it: a base backup written with the settings
    /// that make it follow (`pg_basebackup -R`), started on a port of its own. Its replay can
    /// be paused and resumed with `pg_wal_replay_pause()` and `pg_wal_replay_resume()`.
    pub fn standby(&self) -> Self {
        Self::restore(self.backup_with(&["-R"]))
    }

    /// A base backup taken with `pg_basebackup`'s options and `extra`.
    fn backup_with(&self, extra: &[&str]) -> tempfile::TempDir {
        let backup = tempfile::Builder::new()
            .prefix("eproxy-pg-backup-")
            .tempdir()
            .expect("a temporary directory");
        if is_root() {
            chown_to_postgres(backup.path());
        }
        let status = as_postgres(&bin("pg_basebackup"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg("-D")
            .arg(backup.path().join("cluster"))
            .args(["-X", "stream", "-c", "fast"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("pg_basebackup runs");
        assert!(status.success(), "pg_basebackup failed");
        backup
    }

    /// A server started from `backup` (see [`Postgres::base_backup`]) on a port of its own:
    /// the database restored.
    pub fn restore(backup: tempfile::TempDir) -> Self {
        let mut postgres = Self {
            data: backup,
            process: None,
            port: super::process::free_port(),
        };
        postgres.serve();
        postgres
    }

    /// Runs one SQL statement as the superuser (through psql, in a session of its own); what
    /// it printed, unaligned and without headers.
    pub fn sql(&self, statement: &str) -> String {
        let output = Command::new(bin("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", "postgres", "-X", "-A", "-t", "-q"])
            .args(["-v", "ON_ERROR_STOP=1", "-c", statement])
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "{statement}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Makes every later commit wait for a synchronous standby that never comes (as a primary
    /// cut off from its standby does), or, with `false`, wait for none again; returns once the
    /// server has taken the setting.
    pub fn require_standby(&self, required: bool) {
        let names = if required { "'standby'" } else { "''" };
        self.sql(&format!(
            "ALTER SYSTEM SET synchronous_standby_names = {names}"
        ));
        self.sql("SELECT pg_reload_conf()");
        let expected = if required { "standby" } else { "" };
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.sql("SHOW synchronous_standby_names") != expected {
            assert!(Instant::now() < deadline, "the setting was not taken");
            std::thread::sleep(Duration::from_millis(20));
        }
        // The backends that decide whether a commit waits read it from shared memory, which
        // the checkpointer updates on the same reload.
        std::thread::sleep(Duration::from_millis(300));
    }

    /// Lets go of every commit waiting for its synchronous standby (what cancelling its wait
    /// does: the commit is then visible on this server, though no standby holds it); how
    /// many were let go.
    pub fn release_waiting_commits(&self) -> usize {
        self.sql(
            "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity \
             WHERE wait_event = 'SyncRep'",
        )
        .parse()
        .expect("a count")
    }

    /// Kills the server at once (SIGKILL): what a dead machine does. Its backends go first:
    /// a backend outlives its postmaster until it notices, and would go on answering the
    /// connections it serves.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = Command::new("pkill")
                .args(["-KILL", "-P", &child.id().to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A PostgreSQL program: from the PATH if there, else from Debian's versioned directory.
pub fn bin(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.exists());
    if let Some(found) = on_path {
        return found;
    }
    let debian = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(debian)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin").join(name))
        .filter(|candidate| candidate.exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .unwrap_or_else(|| panic!("{name} is missing: install postgresql (scripts/test does)"))
}

/// `program`, run as the `postgres` user when this test runs as root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn chown_to_postgres(path: &Path) {
    let status = Command::new("chown")
        .arg("postgres:postgres")
        .arg(path)
        .status()
        .expect("chown runs");
    assert!(
        status.success(),
        "cannot give {} to postgres",
        path.display()
    );
}
