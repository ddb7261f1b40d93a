//! Network namespaces for the live-capture tests: two joined by a veth pair (10.81.0.1 in
//! `a`, 10.81.0.2 in `b`, addresses nowhere else), removed on drop. Needs root and iproute2;
//! `REQUIRE_NETNS=1` (CI) makes them a requirement instead of a reason to skip.

use std::process::{Command, Stdio};

/// Two namespaces joined by a veth pair, removed on drop.
pub struct Namespaces {
    pub a: String,
    pub b: String,
}

impl Namespaces {
    /// Namespaces named after this process and `tag` (tests run in parallel), joined by a
    /// veth pair named after `tag` too.
    pub fn create(tag: char) -> Option<Namespaces> {
        let id = std::process::id() % 10_000;
        let names = Namespaces {
            a: format!("fgx{id}{tag}a"),
            b: format!("fgx{id}{tag}b"),
        };
        let (veth_a, veth_b) = (format!("fgx{tag}a0"), format!("fgx{tag}b0"));
        let steps: [&[&str]; 9] = [
            &["netns", "add", &names.a],
            &["netns", "add", &names.b],
            &[
                "link", "add", &veth_a, "netns", &names.a, "type", "veth", "peer", "name", &veth_b,
                "netns", &names.b,
            ],
            &[
                "-n",
                &names.a,
                "addr",
                "add",
                "10.81.0.1/24",
                "dev",
                &veth_a,
            ],
            &[
                "-n",
                &names.b,
                "addr",
                "add",
                "10.81.0.2/24",
                "dev",
                &veth_b,
            ],
            &["-n", &names.a, "link", "set", &veth_a, "up"],
            &["-n", &names.b, "link", "set", &veth_b, "up"],
            &["-n", &names.a, "link", "set", "lo", "up"],
            &["-n", &names.b, "link", "set", "lo", "up"],
        ];
        for step in steps {
            let ok = Command::new("ip")
                .args(step)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                assert!(
                    std::env::var_os("REQUIRE_NETNS").is_none(),
                    "REQUIRE_NETNS is set but `ip {}` failed (root and iproute2 needed)",
                    step.join(" ")
                );
                eprintln!(
                    "skipped: cannot make network namespaces (`ip {}`)",
                    step.join(" ")
                );
                return None;
            }
        }
        Some(names)
    }

    pub fn exec(&self, ns: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", ns]);
        command
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
