//! Keys and secret files as a user meets them: `KeyError` as an `io::Error`, a missing or
//! unreadable secret file named in its error, and the default `$HOME/.ssb/secret`.

use crate::common;

use std::error::Error;
use std::io;
use std::path::PathBuf;

use common::temp_dir::TempDir;
use secret_handshake::{KeyError, Keypair, NetworkKey, PublicKey, SecretFileError};

#[test]
fn a_key_error_is_an_invalid_data_io_error_with_the_key_error_inside() {
    let key_error = "not a key".parse::<PublicKey>().expect_err("invalid");
    let shown = key_error.to_string();
    let error = io::Error::from(key_error.clone());
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert_eq!(error.to_string(), shown);
    let inner = error.get_ref().and_then(|e| e.downcast_ref::<KeyError>());
    assert_eq!(inner, Some(&key_error));
    // `?` converts it in a function returning io::Result.
    fn parse(text: &str) -> io::Result<NetworkKey> {
        Ok(text.parse::<NetworkKey>()?)
    }
    assert_eq!(
        parse("zz").expect_err("invalid").kind(),
        io::ErrorKind::InvalidData
    );
}

/// The `Read` error of `path`, checked to name it and to carry an io::Error of `kind`.
fn assert_read_error(path: &std::path::Path, kind: io::ErrorKind) {
    let error = Keypair::from_ssb_secret_file(path).expect_err("unreadable");
    let SecretFileError::Read {
        path: named,
        source,
    } = &error
    else {
        panic!("not a read error: {error:?}");
    };
    assert_eq!(named, path);
    assert_eq!(source.kind(), kind, "{source}");
    assert_eq!(
        error.to_string(),
        format!("reading secret file {}: {source}", path.display())
    );
    // The cause is said once, in the message: not again as a source.
    assert!(error.source().is_none());
    let as_io = io::Error::from(error);
    assert_eq!(as_io.kind(), kind);
    assert!(as_io.to_string().contains(&path.display().to_string()));
}

#[test]
fn missing_and_unreadable_secret_files_name_the_path() {
    let dir = TempDir::new("secret-files");
    assert_read_error(&dir.path().join("secret"), io::ErrorKind::NotFound);
    assert_read_error(dir.path(), io::ErrorKind::IsADirectory);
    let not_utf8 = dir.path().join("binary");
    std::fs::write(&not_utf8, [0xff, 0xfe, 0x00]).expect("writing");
    assert_read_error(&not_utf8, io::ErrorKind::InvalidData);
}

#[test]
fn an_invalid_secret_file_names_the_path_and_the_key_error() {
    let dir = TempDir::new("invalid-secret-file");
    let path = dir.path().join("secret");
    std::fs::write(&path, "# nothing but a comment\n").expect("writing");
    let error = Keypair::from_ssb_secret_file(&path).expect_err("invalid");
    assert!(
        matches!(&error, SecretFileError::Invalid { path: p, .. } if *p == path),
        "{error:?}"
    );
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!(
            "reading secret file {}: invalid secret file",
            path.display()
        )),
        "{shown}"
    );
    assert!(
        matches!(&error, SecretFileError::Invalid { source, .. } if shown.contains(&source.to_string()))
    );
    assert!(error.source().is_none());
    assert_eq!(io::Error::from(error).kind(), io::ErrorKind::InvalidData);
}

/// Every case that sets `HOME` is in this one test, so that no other test of this binary sees
/// it change.
#[test]
fn the_default_secret_file_is_home_dot_ssb_secret() {
    let saved = std::env::var_os("HOME");
    let home = TempDir::new("home");
    std::env::set_var("HOME", home.path());
    let expected: PathBuf = home.path().join(".ssb").join("secret");
    assert_eq!(Keypair::default_ssb_secret_path(), Some(expected.clone()));
    // Not there yet: the error names the default path.
    assert_read_error(&expected, io::ErrorKind::NotFound);
    let error = Keypair::from_default_ssb_secret_file().expect_err("no file yet");
    assert!(
        error.to_string().contains(&expected.display().to_string()),
        "{error}"
    );
    // There: it loads.
    let keys = Keypair::generate();
    std::fs::create_dir_all(expected.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&expected, keys.to_ssb_secret()).expect("writing");
    let loaded = Keypair::from_default_ssb_secret_file().expect("the default file");
    assert_eq!(loaded.public(), keys.public());
    // Writing the default file never replaces the one there.
    let error = Keypair::generate()
        .write_default_ssb_secret_file()
        .expect_err("a file is there");
    assert_eq!(io::Error::from(error).kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(
        Keypair::from_default_ssb_secret_file().unwrap().public(),
        keys.public()
    );
    // Writing it where `~/.ssb` is missing creates the directory, owner-only.
    let fresh = TempDir::new("fresh-home");
    std::env::set_var("HOME", fresh.path());
    let written = keys
        .write_default_ssb_secret_file()
        .expect("writing the default file");
    assert_eq!(written, fresh.path().join(".ssb").join("secret"));
    assert_eq!(
        Keypair::from_default_ssb_secret_file().unwrap().public(),
        keys.public()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode(&fresh.path().join(".ssb")) & 0o777, 0o700);
        assert_eq!(mode(&written) & 0o777, 0o600);
    }
    // Without HOME (unset or empty) there is no default.
    for unset in [true, false] {
        if unset {
            std::env::remove_var("HOME");
        } else {
            std::env::set_var("HOME", "");
        }
        assert_eq!(Keypair::default_ssb_secret_path(), None);
        let error = Keypair::from_default_ssb_secret_file().expect_err("no HOME");
        assert!(matches!(error, SecretFileError::NoHome), "{error:?}");
        let error = keys.write_default_ssb_secret_file().expect_err("no HOME");
        assert!(matches!(error, SecretFileError::NoHome), "{error:?}");
        assert!(error.to_string().contains("HOME is not set"), "{error}");
        assert_eq!(io::Error::from(error).kind(), io::ErrorKind::NotFound);
    }
    match saved {
        Some(home) => std::env::set_var("HOME", home),
        None => std::env::remove_var("HOME"),
    }
}

#[test]
fn a_written_secret_file_reads_back_in_the_ssb_keys_layout() {
    let dir = TempDir::new("write-secret-file");
    let path = dir.path().join("secret");
    let keys = Keypair::generate();
    keys.write_ssb_secret_file(&path).expect("writing");
    let text = std::fs::read_to_string(&path).expect("reading");
    assert_eq!(text, keys.to_ssb_secret(), "the layout ssb-keys writes");
    let back = Keypair::from_ssb_secret_file(&path).expect("reading back");
    assert_eq!(back.public(), keys.public());
    assert_eq!(back.secret_key_bytes(), keys.secret_key_bytes());
}

#[cfg(unix)]
#[test]
fn a_written_secret_file_is_owner_only_whatever_the_umask_allows() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("secret-file-mode");
    let path = dir.path().join("secret");
    Keypair::generate()
        .write_ssb_secret_file(&path)
        .expect("writing");
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
    assert_eq!(
        mode & 0o600,
        0o600,
        "the owner reads and writes it: {mode:o}"
    );
}

#[test]
fn writing_never_overwrites_and_errors_name_the_path_not_the_key() {
    let dir = TempDir::new("secret-file-exists");
    let path = dir.path().join("secret");
    std::fs::write(&path, "precious").expect("writing");
    let keys = Keypair::generate();
    let error = keys.write_ssb_secret_file(&path).expect_err("exists");
    let SecretFileError::Write {
        path: named,
        source,
    } = &error
    else {
        panic!("not a write error: {error:?}");
    };
    assert_eq!(named, &path);
    assert_eq!(source.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "precious",
        "untouched"
    );

    // A missing directory: named too. No message shows the key, in any form.
    let nowhere = dir.path().join("missing").join("secret");
    let missing = keys
        .write_ssb_secret_file(&nowhere)
        .expect_err("no directory");
    assert!(matches!(&missing, SecretFileError::Write { path, .. } if *path == nowhere));
    let text = keys.to_ssb_secret();
    let private = text
        .split("\"private\": \"")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .expect("the private key in the file's text");
    assert_eq!(private.len(), 88, "base64 of 64 bytes");
    for (error, named) in [(error, &path), (missing, &nowhere)] {
        let shown = format!("{error} {error:?}");
        assert!(shown.contains(&named.display().to_string()), "{shown}");
        assert!(shown.starts_with("writing secret file "), "{shown}");
        assert!(!shown.contains(&private[..16]), "{shown}");
        let as_io = io::Error::from(error);
        assert!(as_io.to_string().contains(&named.display().to_string()));
    }
}
