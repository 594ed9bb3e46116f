//! A PostgreSQL cluster of the test's own (`initdb` + `pg_ctl` on a free port), for tests that
//! stop and start the database under a running server. The shared server on 5432 is never
//! touched.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// initdb refuses to run as root; the cluster then belongs to the `postgres` user.
fn as_cluster_owner(program: &str) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--", program]);
        cmd
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let output = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

impl Cluster {
    /// A new, running cluster; `None` (with a SKIPPED line) where `initdb` is missing, a panic
    /// under CI=true.
    pub fn start() -> Option<Cluster> {
        match Self::try_start() {
            Ok(cluster) => Some(cluster),
            Err(err) if !ci() => {
                eprintln!("SKIPPED: throwaway PostgreSQL cluster unavailable: {err}");
                None
            }
            Err(err) => panic!("a throwaway PostgreSQL cluster is required under CI=true: {err}"),
        }
    }

    fn try_start() -> Result<Cluster, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if is_root() {
            run(
                Command::new("chown").arg("postgres").arg(dir.path()),
                "chown",
            )?;
        }
        run(
            as_cluster_owner("initdb")
                .arg("-D")
                .arg(dir.path().join("data"))
                .args(["-U", "postgres", "--auth=trust", "--no-sync"]),
            "initdb",
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let cluster = Cluster { dir, port };
        cluster.try_pg_ctl_start()?;
        Ok(cluster)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    fn try_pg_ctl_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.socket_dir().display()
        );
        run(
            as_cluster_owner("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-o", &options, "-l"])
                .arg(self.dir.path().join("postgres.log"))
                .args(["-w", "start"]),
            "pg_ctl start",
        )
    }

    pub fn start_again(&self) {
        if let Err(err) = self.try_pg_ctl_start() {
            panic!("{err}");
        }
    }

    /// `fast` disconnects every client and shuts down cleanly; `immediate` is a crash.
    pub fn stop(&self, mode: &str) {
        if let Err(err) = run(
            as_cluster_owner("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", mode, "-w", "stop"]),
            "pg_ctl stop",
        ) {
            panic!("{err}");
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_cluster_owner("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
