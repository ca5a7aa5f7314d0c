//! The protections of the platform link as an installed kiosk and its staff see them: a
//! plain-http platform refused at `kiosk config check` (exit 78, naming the key) unless the
//! config allows it for a platform on this machine; a kiosk clock off the platform's shown
//! on the staff screen in words, from the platform's refusal and from the heartbeat's
//! measure, and gone when the clocks agree again (the simulator's clock knob).

mod config {
    use std::process::Command;

    fn check(dir: &std::path::Path, platform: &str) -> std::process::Output {
        std::fs::write(dir.join("platform.key"), "k3y").unwrap();
        let file = dir.join("kiosk.toml");
        std::fs::write(
            &file,
            format!(
                "data_dir = \"{data}\"\n\n[platform]\n{platform}\nkiosk_id = \"k1\"\n\
                 key_file = \"{dir}/platform.key\"\n\n[devices.idcard]\nkind = \"serial\"\n\
                 path = \"/dev/null\"\n\n[devices.printer]\nkind = \"serial\"\npath = \"/dev/null\"\n",
                data = dir.join("data").display(),
                dir = dir.display(),
            ),
        )
        .unwrap();
        Command::new(env!("CARGO_BIN_EXE_kiosk"))
            .args(["config", "check"])
            .arg(&file)
            .env_remove("KIOSK_DEMO")
            .output()
            .unwrap()
    }

    fn text(out: &std::process::Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    #[test]
    fn plain_http_is_refused_unless_allowed_for_this_machine_and_a_ca_file_must_read() {
        let dir = tempfile::tempdir().unwrap();
        let out = check(dir.path(), "base_url = \"http://platform.example.gov.cn\"");
        assert_eq!(out.status.code(), Some(78), "{}", text(&out));
        assert!(text(&out).contains("platform.base_url"), "{}", text(&out));
        assert!(text(&out).contains("https://"), "{}", text(&out));

        let out = check(
            dir.path(),
            "base_url = \"http://10.1.2.3:8800\"\nallow_plain_http = true",
        );
        assert_eq!(out.status.code(), Some(78), "{}", text(&out));
        assert!(
            text(&out).contains("platform.allow_plain_http"),
            "{}",
            text(&out)
        );

        let out = check(
            dir.path(),
            "base_url = \"http://127.0.0.1:8800\"\nallow_plain_http = true",
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("plain http to this machine"),
            "{}",
            text(&out)
        );

        let ca = dir.path().join("gov-ca.pem");
        let with_ca = format!(
            "base_url = \"https://platform.example.gov.cn\"\nca_file = \"{}\"\npins = [\"{}\"]",
            ca.display(),
            kiosk_platform::tls_test::SERVER_PIN.trim()
        );
        let out = check(dir.path(), &with_ca);
        assert_eq!(out.status.code(), Some(78), "{}", text(&out));
        assert!(text(&out).contains("gov-ca.pem"), "{}", text(&out));
        std::fs::write(&ca, kiosk_platform::tls_test::CA_PEM).unwrap();
        let out = check(dir.path(), &with_ca);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("https, trusting CA file (1 certificate), 1 pin"),
            "{}",
            text(&out)
        );
    }
}

mod clock {
    use std::time::Duration;

    use kiosk_platform::sim::FaultConfig;

    /// The simulator's clock `secs` ahead of the machine's.
    fn offset(rig: &crate::rig::Rig, secs: i64) {
        let control = kiosk_platform::client::PlatformClient::new(
            &format!("http://{}", rig.platform_addr()),
            "control",
            b"",
            Duration::from_secs(10),
        );
        control
            .set_sim_faults(&FaultConfig {
                clock_offset_secs: secs,
                ..FaultConfig::default()
            })
            .unwrap();
    }

    fn line(rig: &crate::rig::Rig, label: &str) -> String {
        rig.find(label)
            .accessible_value()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn a_clock_off_the_platforms_is_shown_to_staff_in_words_until_it_agrees_again() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start_configured(|c| c.sync.heartbeat_secs = 5);
            rig.wait_until_ready();
            rig.open_staff();
            rig.wait_for("online", |r| line(r, "连接状态") == "在线");

            // 7 minutes: past the signed-request limit, the platform refuses every request.
            offset(&rig, 420);
            rig.wait_for("the clock refused", |r| line(r, "连接状态") == "时钟不准");
            assert_eq!(
                line(&rig, "时钟"),
                "本机时钟偏差约 7 分钟，请检查校时服务（chrony/timesyncd）。"
            );
            assert_eq!(
                line(&rig, "原因"),
                "平台拒绝本机请求：本机时钟不准。业务已保留，请联系技术人员。"
            );

            // 3 minutes: requests pass again (online), but the heartbeat's measure is past
            // half the limit: still a fault, in words.
            offset(&rig, 180);
            rig.wait_for("online with the clock off", |r| {
                line(r, "连接状态") == "在线"
                    && line(r, "时钟")
                        == "本机时钟偏差约 3 分钟，请检查校时服务（chrony/timesyncd）。"
            });

            // The clocks agree: the line is a plain figure again.
            offset(&rig, 0);
            rig.wait_for("the clock in step", |r| {
                let clock = line(r, "时钟");
                clock.starts_with("与平台相差") && clock.ends_with("秒")
            });
            rig.tap("退出");
        });
    }
}
