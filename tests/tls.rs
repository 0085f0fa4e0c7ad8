//! TLS on the operators' port, with the real binary and a real rustls
//! client: the dashboard over TLS with `Secure` cookies and HSTS; plain
//! HTTP to that port gets no answer; a network address without a
//! certificate, or a key that is not the certificate's, stops the start
//! with a message naming the flags.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{parse_response, Binary, Response, ADMIN_TOKEN};

/// A self-signed certificate for localhost, written as PEM files; and the
/// certificate, for the client to trust.
fn certificate(dir: &Path) -> rustls::pki_types::CertificateDer<'static> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    made.cert.der().clone()
}

/// One request over TLS, trusting only `cert`.
fn tls_request(addr: SocketAddr, cert: &rustls::pki_types::CertificateDer<'static>, request: &str) -> Response {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    // The server may close without a close_notify once the answer is sent.
    let _ = tls.read_to_end(&mut raw);
    parse_response(&raw)
}

#[test]
fn the_dashboard_over_tls_and_nothing_in_clear() {
    let keys = tempfile::tempdir().unwrap();
    let cert = certificate(keys.path());
    let data = tempfile::tempdir().unwrap();
    let (c, k) = (keys.path().join("cert.pem"), keys.path().join("key.pem"));
    let extra = ["--admin-tls-cert", c.to_str().unwrap(), "--admin-tls-key", k.to_str().unwrap()];
    let server = Binary::start_opts(&common::fixture("basic"), data.path(), Some(ADMIN_TOKEN), &extra, "warn");
    assert!(server.banner.contains("operators on https://"), "{}", server.banner);
    let admin = server.admin;

    let r = tls_request(
        admin,
        &cert,
        &format!(
            "GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains("运行状态"), "the dashboard");
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000"));

    // A login over TLS gets a cookie that never travels in clear text.
    let password = std::fs::read_to_string(data.path().join("admin-password")).unwrap();
    let form = tls_request(admin, &cert, "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let token_cookie = form.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let csrf = form.text().split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let body = format!("name=admin&password={}&csrf={csrf}", password.trim());
    let login = format!(
        "POST /login HTTP/1.1\r\nHost: localhost\r\nOrigin: https://localhost\r\nCookie: {token_cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let r = tls_request(admin, &cert, &login);
    assert_eq!(r.status, 303, "{}", r.text());
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // Plain HTTP to the TLS port: no HTTP answer, and the port still serves.
    let mut plain = TcpStream::connect(admin).unwrap();
    plain.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    plain
        .write_all(format!("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\r\n").as_bytes())
        .unwrap();
    let mut raw = Vec::new();
    let _ = plain.read_to_end(&mut raw);
    assert!(!raw.starts_with(b"HTTP/"), "an HTTP answer in clear text: {:?}", String::from_utf8_lossy(&raw));
    assert!(!String::from_utf8_lossy(&raw).contains("运行状态"));
    let r = tls_request(admin, &cert, "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 200);
    // The box port stays plain HTTP.
    assert_eq!(common::request(server.boxes, "GET", "/healthz").status, 200);
}

fn start_refused(args: &[&str]) -> String {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_infotv"))
        .current_dir(common::root())
        .args(["serve", "--listen", "127.0.0.1:0", "--loop", "off", "--channels"])
        .arg(common::fixture("basic"))
        .arg("--data")
        .arg(data.path())
        .args(args)
        .env_remove("INFOTV_ADMIN_TLS_CERT")
        .env_remove("INFOTV_ADMIN_TLS_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success(), "it must not start with {args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A loopback operators' port with certificate `c` and key `k`.
fn with_tls<'a>(c: &'a Path, k: &'a Path) -> [&'a str; 6] {
    ["--admin-listen", "127.0.0.1:0", "--admin-tls-cert", c.to_str().unwrap(), "--admin-tls-key", k.to_str().unwrap()]
}

#[test]
fn a_network_address_without_a_certificate_refuses_to_start() {
    let said = start_refused(&["--admin-listen", "0.0.0.0:0"]);
    assert!(said.contains("--admin-tls-cert") && said.contains("--admin-tls-key"), "{said}");
    assert!(said.contains("clear text"), "{said}");

    // A key that is not the certificate's.
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    certificate(one.path());
    certificate(two.path());
    let (c, k) = (one.path().join("cert.pem"), two.path().join("key.pem"));
    let said = start_refused(&with_tls(&c, &k));
    assert!(said.contains("do not belong together"), "{said}");
    // A certificate file that is not one.
    std::fs::write(one.path().join("cert.pem"), "not a certificate").unwrap();
    let k = one.path().join("key.pem");
    let said = start_refused(&with_tls(&c, &k));
    assert!(said.contains("--admin-tls-cert"), "{said}");
    // Only one of the two.
    let said = start_refused(&["--admin-tls-cert", c.to_str().unwrap()]);
    assert!(said.contains("--admin-tls-key"), "{said}");
}
