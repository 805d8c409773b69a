//! A data directory that fills up or turns read-only under the registry: writes are refused
//! with a clear UNAVAILABLE, nothing is half-stored, reads go on being served, and writes work
//! again once space returns (without a restart) or once the file system is repaired and the
//! registry restarted.
//!
//! The data directory sits on its own small ext4 file system in a loop-mounted image, which
//! needs root (`mount`); without it these tests say so and do nothing. The file system turns
//! read-only the way a failing disk makes it: ext4's `trigger_fs_error` with
//! `errors=remount-ro`.

use eproxy_testkit::registry::*;

/// An ext4 file system in an image file, loop-mounted for the test's life.
struct Ext4 {
    dir: tempfile::TempDir,
}

impl Ext4 {
    /// A file system of `mib` MiB, or `None` (with the reason printed) where mounting is not
    /// allowed.
    fn mount(mib: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("fs.img");
        std::fs::File::create(&image)
            .unwrap()
            .set_len(u64::from(mib) << 20)
            .unwrap();
        // No blocks reserved for root: the registry runs as root here.
        run("mkfs.ext4", &["-q", "-m", "0"], &image);
        std::fs::create_dir(dir.path().join("mnt")).unwrap();
        let fs = Self { dir };
        if let Err(error) = fs.try_mount() {
            eprintln!("SKIPPED: loop-mounting a file system needs root ({error})");
            return None;
        }
        Some(fs)
    }

    fn try_mount(&self) -> Result<(), String> {
        let output = Command::new("mount")
            .args(["-o", "loop,errors=remount-ro"])
            .arg(self.dir.path().join("fs.img"))
            .arg(self.path())
            .output()
            .unwrap();
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("mnt")
    }

    /// Writes a file until the file system is full; the file's path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write as _;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        for size in [1 << 20, 4 << 10, 1] {
            let chunk = vec![0x5a; size];
            while file.write_all(&chunk).is_ok() {}
        }
        let _ = file.sync_all();
        path
    }

    /// Makes the kernel turn the file system read-only, as after an I/O error. (The test's
    /// own files, its PKI, are synced first; the registry must have synced its own.)
    fn fail(&self, test_files: &Path) {
        sync_tree(test_files);
        let source = Command::new("findmnt")
            .args(["-n", "-o", "SOURCE"])
            .arg(self.path())
            .output()
            .unwrap();
        let device = String::from_utf8(source.stdout).unwrap();
        let device = device.trim().trim_start_matches("/dev/");
        std::fs::write(format!("/sys/fs/ext4/{device}/trigger_fs_error"), "1").unwrap();
    }

    /// Unmounts, checks and repairs the file system, and mounts it again.
    fn repair(&self) {
        run("umount", &[], &self.path());
        let status = Command::new("e2fsck")
            .args(["-f", "-y"])
            .arg(self.dir.path().join("fs.img"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        // 0: clean; 1: errors corrected.
        assert!(matches!(status.code(), Some(0 | 1)), "e2fsck: {status}");
        self.try_mount().unwrap();
    }
}

impl Drop for Ext4 {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

fn sync_tree(path: &Path) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            sync_tree(&entry.unwrap().path());
        }
    }
    std::fs::File::open(path).unwrap().sync_all().unwrap();
}

fn run(program: &str, args: &[&str], path: &Path) {
    let output = Command::new(program).args(args).arg(path).output().unwrap();
    assert!(output.status.success(), "{program}: {output:?}");
}

/// The registry's configuration for a small disk: a 1 MiB write buffer, so the write-ahead
/// log reserves about 1 MiB at a time rather than 64.
fn small_buffers(_: &Path, config: String) -> String {
    config.replace("write_buffer_mib = 64", "write_buffer_mib = 1")
}

/// A PoA distinct from every other this test makes.
fn fresh_poa(label: &str) -> Vec<u8> {
    let mut d = delegation_in(pki(), &pki().employee, contracts_only(), None);
    d.remarks = label.into();
    signed(&pki().representative, d)
}

/// Submits `cms` every 100 ms until it is registered (up to 10 s); its receipt.
async fn submit_until_registered(registry: &Registry, cms: &[u8]) -> RegistrationReceipt {
    for _ in 0..100 {
        if let Ok(answer) = registry.submit(cms).await {
            return receipt_of(&answer, registry);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("writes did not recover within 10 s");
}

/// What must hold while writes fail: `refused` says why and is not stored, and `stored` is
/// still served.
async fn refused_but_readable(
    registry: &Registry,
    refused: &tonic::Status,
    why: &str,
    unstored: &[u8],
    stored: &DelegationId,
) {
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(refused.message().contains(why), "{refused:?}");
    assert!(
        refused.message().contains("nothing was stored"),
        "{refused:?}"
    );
    assert!(
        !refused
            .message()
            .contains(&registry.data_dir().display().to_string()),
        "the answer shows the server's paths: {refused:?}"
    );
    let status = registry.status(stored).await;
    assert_eq!(status.status, RegistryStatus::Active);
    let absent = registry.status(&DelegationId::of_cms(unstored)).await;
    assert_eq!(absent.status, RegistryStatus::Unknown);
    registry.checkpoint().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_keeps_reads_and_recovers_when_space_returns() {
    let Some(disk) = Ext4::mount(64) else {
        return;
    };
    let mut registry = Registry::start_in(&disk.path(), small_buffers);
    let first = fresh_poa("disk full: before");
    let before = receipt_of(&registry.submit(&first).await.unwrap(), &registry);

    let filler = disk.fill();
    // The write-ahead log may have room left in space it reserved: submit until refused.
    let mut refused = None;
    for i in 0..2_000 {
        let cms = fresh_poa(&format!("disk full: during {i}"));
        if let Err(status) = registry.submit(&cms).await {
            refused = Some((status, cms));
            break;
        }
    }
    let (status, unstored) = refused.expect("2,000 writes on a full disk were all accepted");
    refused_but_readable(
        &registry,
        &status,
        "disk is full",
        &unstored,
        &DelegationId::of_cms(&first),
    )
    .await;

    std::fs::remove_file(filler).unwrap();
    let after = submit_until_registered(&registry, &unstored).await;
    assert!(after.log_index > before.log_index);
    // And it all survives a restart.
    registry.stop().await;
    registry.serve();
    let status = registry.status(&DelegationId::of_cms(&unstored)).await;
    assert_eq!(status.status, RegistryStatus::Active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_system_turned_read_only_refuses_writes_keeps_reads_and_recovers_after_repair() {
    let Some(disk) = Ext4::mount(64) else {
        return;
    };
    let mut registry = Registry::start_in(&disk.path(), small_buffers);
    let first = fresh_poa("read-only: before");
    registry.submit(&first).await.unwrap();

    disk.fail(&registry.data_dir().join("pki"));
    let unstored = fresh_poa("read-only: during");
    let status = registry.submit(&unstored).await.unwrap_err();
    refused_but_readable(
        &registry,
        &status,
        "data directory is read-only",
        &unstored,
        &DelegationId::of_cms(&first),
    )
    .await;

    // The operator stops the registry, repairs the file system and starts it again: what was
    // acknowledged is there, and writes work.
    let mut process = registry.process.take().unwrap();
    process.kill().unwrap();
    process.wait().unwrap();
    disk.repair();
    registry.serve();
    assert_eq!(
        registry.status(&DelegationId::of_cms(&first)).await.status,
        RegistryStatus::Active
    );
    submit_until_registered(&registry, &unstored).await;
}
