//! nginx (Debian's) serving a directory of C2SP tlog-tiles as static files, as an operator
//! would put it in front of the registry's written tiles: for the tests that follow a log
//! through it and the benchmark that measures it.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::process::free_port;

/// nginx serving `root` on a free loopback port, stopped when dropped. One process, no
/// workers (`master_process off`): a worker would outlive its killed master, and with it the
/// test's output.
pub struct Nginx {
    child: Child,
    /// Where it listens, `127.0.0.1:PORT`.
    pub address: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Serves `root`, its `checkpoint` and `tile/` with the cache headers C2SP tlog-tiles asks.
    pub fn serve(root: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let address = format!("127.0.0.1:{}", free_port());
        let d = dir.path().display();
        // As root, the workers would otherwise run as nobody, who cannot read a private
        // temporary directory.
        let user = if running_as_root() { "user root;" } else { "" };
        let config = format!(
            "{user}\nmaster_process off;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
             events {{}}\nhttp {{\n\
             access_log off;\n\
             client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
             types {{}}\ndefault_type application/octet-stream;\n\
             server {{\nlisten {address};\nroot {root};\n\
             location = /checkpoint {{ default_type \"text/plain; charset=utf-8\"; \
             add_header Cache-Control \"public, max-age=2\"; }}\n\
             location /tile/ {{ add_header Cache-Control \"public, max-age=31536000, immutable\"; }}\n\
             }}\n}}\n",
            root = root.display()
        );
        std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx runs (scripts/ensure-system-deps installs Debian's nginx)");
        let started = Instant::now();
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen: {}",
                std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            address,
            _dir: dir,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}
