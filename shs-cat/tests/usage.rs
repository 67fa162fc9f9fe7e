//! `shs-cat`'s command line: help, version and usage errors, in clap's forms.

mod support;

use support::{shs_cat, Finished, Proc, TempDir};

fn run(args: &[&str]) -> Finished {
    let home = TempDir::new(&format!("usage-{}", args.join("-").replace('/', "_")));
    Proc::spawn("shs-cat", shs_cat(home.path()).args(args), Vec::new()).finish()
}

fn stdout(run: &Finished) -> String {
    String::from_utf8(run.stdout.clone()).expect("UTF-8 help")
}

#[test]
fn help_lists_the_commands_and_how_to_start() {
    let help = run(&["--help"]);
    help.assert_success();
    let text = stdout(&help);
    for needle in [
        "Usage: shs-cat <COMMAND>",
        "keygen",
        "listen",
        "connect",
        "shs-cat listen 127.0.0.1:8008",
        "@<base64>.ed25519",
        "Exit status",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let short = run(&["-h"]);
    short.assert_success();
    assert!(stdout(&short).len() < text.len(), "-h is the summary");
}

#[test]
fn each_command_has_help_with_its_options_and_an_example() {
    let commands: [(&str, &[&str]); 3] = [
        ("keygen", &["--out <FILE>"]),
        (
            "listen",
            &[
                "[HOST:PORT]",
                "--unix <PATH>",
                "--allow <ID>",
                "--allow-file <FILE>",
                "--keep-open",
                "--max-handshakes <N>",
                "--ws",
                "--secret <FILE>",
                "--network-key <KEY>",
                "-v, --verbose",
            ],
        ),
        (
            "connect",
            &[
                "<ADDRESS>",
                "--server-key <ID>",
                "--secret <FILE>",
                "--network-key <KEY>",
                "-v, --verbose",
                "net:HOST:PORT~shs:KEY",
                "ws://HOST[:PORT]~shs:KEY",
                "--tls-root <FILE>",
                "Mozilla's roots",
            ],
        ),
    ];
    for (command, options) in commands {
        let help = run(&[command, "--help"]);
        help.assert_success();
        let text = stdout(&help);
        assert!(
            text.contains(&format!("Usage: shs-cat {command}")),
            "{text}"
        );
        assert!(text.contains("Example"), "{command}: no example:\n{text}");
        assert!(
            text.contains(&format!("shs-cat {command} ")),
            "{command}: the example should run it:\n{text}"
        );
        for option in options {
            assert!(
                text.contains(option),
                "{command}: {option:?} missing:\n{text}"
            );
        }
        // `shs-cat help CMD` is the same text.
        assert_eq!(stdout(&run(&["help", command])), text);
    }
}

#[test]
fn version_is_the_package_version() {
    let version = run(&["--version"]);
    version.assert_success();
    let want = format!("shs-cat {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(stdout(&version), want);
}

#[test]
fn usage_errors_exit_2_with_one_error_line() {
    let key = "@AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=.ed25519";
    let secret_network = "ab".repeat(31);
    let cases: &[(&[&str], &str)] = &[
        (&["frobnicate"], "'frobnicate'"),
        (&["listen"], "<HOST:PORT>"),
        (&["listen", "no-port"], "'no-port'"),
        (&["listen", ":1"], "with a host"),
        (&["listen", "h:99999"], "not a port number"),
        (&["listen", "127.0.0.1:0", "--allow", "not-a-key"], "'not-a-key'"),
        (&["listen", "127.0.0.1:0", "--network-key", &secret_network], "--network-key"),
        (&["listen", "127.0.0.1:0", "--keep-open=yes"], "--keep-open"),
        (&["listen", "127.0.0.1:0", "--allow-file"], "--allow-file"),
        (&["listen", "127.0.0.1:0", "--unix", "/tmp/s"], "cannot be used with"),
        (&["listen", "--unix", "/tmp/s", "--ws"], "cannot be used with"),
        (&["listen", "127.0.0.1:0", "--keep-open", "--max-handshakes", "0"], "--max-handshakes"),
        (&["listen", "127.0.0.1:0", "--max-handshakes", "8"], "--keep-open"),
        (&["connect", "127.0.0.1:1"], "--server-key"),
        (&["connect", "127.0.0.1:1", "--server-key"], "--server-key"),
        (&["connect", "nowhere", "--server-key", key], "'nowhere'"),
        (
            &["connect", "127.0.0.1:1", "--server-key", key, "--secret", "a", "--secret", "b"],
            "--secret",
        ),
        (&["connect", "net:127.0.0.1:1~shs:nope"], "net:HOST:PORT~shs:KEY"),
        (&["connect", "ws://127.0.0.1:1~shs:nope"], "ws://HOST[:PORT]~shs:KEY"),
        (&["connect", "unix:~shs:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="], "unix:PATH~shs:KEY"),
        (
            &["connect", "ws://127.0.0.1:1~shs:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "--server-key", key],
            "--server-key",
        ),
        (&["listen", "127.0.0.1:0", "--ws=yes"], "--ws"),
        (&["connect", "127.0.0.1:1", "--server-key", key, "--tls-root", "ca.pem"], "'--tls-root'"),
        (
            &["connect", "net:127.0.0.1:1~shs:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "--tls-root", "ca.pem"],
            "'--tls-root' is for wss://",
        ),
        (&["connect", "wss://127.0.0.1:1~shs:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "--tls-root"], "--tls-root"),
        (
            &["connect", "net:127.0.0.1:1~shs:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "--server-key", key],
            "--server-key",
        ),
        (
            &[
                "connect",
                "net:127.0.0.1:1~shs:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
                "--secret",
                "a",
            ],
            "--secret",
        ),
        // A mistyped invite: its seed (`AgICAg…`) must not be echoed (checked below).
        (
            &["connect", "net:127.0.0.1~shs:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="],
            "net:HOST:PORT~shs:KEY",
        ),
        (
            &["connect", "net:127.0.0.1:1~shs:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg"],
            "net:HOST:PORT~shs:KEY",
        ),
        (&["keygen", "--force"], "'--force'"),
        (&["keygen", "extra"], "'extra'"),
    ];
    for (args, needle) in cases {
        let run = run(args);
        let why = format!("{args:?}: {:?}", run.stderr);
        assert_eq!(run.status.code(), Some(2), "{why}");
        assert!(run.stdout.is_empty(), "{why}");
        let errors: Vec<_> = run
            .stderr
            .iter()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{why}");
        assert!(run.stderr[0].starts_with("error: "), "{why}");
        // The error is one line, but for clap's list of missing arguments below it.
        let error = run.stderr.iter().take_while(|l| !l.is_empty());
        let error: Vec<_> = error.map(String::as_str).collect();
        assert!(
            error.len() == 1 || error[0].ends_with("were not provided:"),
            "{why}"
        );
        assert!(
            error.join("\n").contains(needle),
            "{needle:?} not in the error: {why}"
        );
        assert_eq!(
            run.stderr.last().map(String::as_str),
            Some("For more information, try '--help'."),
            "{why}"
        );
        // A private network's key and an invite's seed are secrets: never echoed.
        assert!(
            !run.stderr.iter().any(|l| l.contains(&secret_network)),
            "{why}"
        );
        assert!(!run.stderr.iter().any(|l| l.contains("AgIC")), "{why}");
    }
}

#[test]
fn no_command_shows_the_summary_and_exits_2() {
    let run = run(&[]);
    assert_eq!(run.status.code(), Some(2), "{:?}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.iter().any(|l| l == "Usage: shs-cat <COMMAND>"),
        "{:?}",
        run.stderr
    );
}
