//! `eproxy demo` runs the whole story against a real registry and says so: its verdicts are
//! checked here, not only its exit status.

mod common;
use common::eproxy;

#[test]
fn the_demo_tells_the_story_with_the_expected_verdicts() {
    let output = eproxy()
        .arg("demo")
        .env_remove("EPROXY_REGISTRY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The contract before the revocation is accepted twice (before and after it), the one
    // after it is rejected for it.
    assert_eq!(text.matches("ACCEPTED").count(), 2, "{text}");
    assert_eq!(text.matches("REJECTED").count(), 1, "{text}");
    assert!(text.contains("was revoked at"), "{text}");
    // The watcher starts after the card's enrollment: the story adds the registration and
    // the revocation.
    assert!(text.contains("consistent, size 1 -> 3 (+2)"), "{text}");
    assert!(text.contains("enrolled certificate"), "{text}");
    // Each step shows the command a user would type.
    for command in [
        "$ eproxy delegation new ",
        "$ eproxy delegation sign ",
        "$ eproxy delegation submit ",
        "$ eproxy contract sign ",
        "$ eproxy verify ",
        "$ eproxy delegation revoke ",
        "$ eproxy log monitor ",
        "$ eproxy-registry enroll ",
    ] {
        assert!(text.contains(command), "{command} missing from\n{text}");
    }
    assert!(
        text.trim_end()
            .ends_with("Every verdict was the expected one.")
    );
}
