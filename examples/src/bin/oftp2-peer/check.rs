//! `oftp2-peer check`: session start and secure authentication only, ended cleanly, with
//! the verdict explained phase by phase (the tool for "invalid challenge response (11)").

#![allow(
    clippy::wildcard_imports,
    reason = "a subcommand of the binary: its arguments, helpers and imports are the binary's"
)]

use super::*;

/// `check`: session start and secure authentication only, then a clean end.
pub(crate) fn check(
    connect: &str,
    ssid: &str,
    password: &str,
    partner: &str,
    creds: Option<&Credentials>,
    tls: &TlsArgs,
) -> Result<bool, BoxError> {
    let tls = tls.client(connect)?;
    let c = config(ssid, password, None)?;
    let auth = creds.is_some_and(Credentials::can_authenticate);
    if let Some(creds) = creds {
        print_credentials(creds, &OdetteId::new(partner)?);
    }
    let mut session = Session::initiator(c, params(auth, security_from(creds)));
    let mut app = Sender::new(Vec::new());
    run_tcp(
        TcpStream::connect(connect)?,
        tls,
        &mut session,
        &mut app,
        None,
    )?;
    match &app.negotiated {
        Some(n) => {
            println!(
                "connected    to {} at OFTP level {}",
                n.partner,
                n.level.get()
            );
            println!(
                "negotiated   buffer {} octets, credit {}, compression {}, restart {}, send {}, receive {}",
                n.buffer_size,
                n.credit,
                demo::yes(n.compression),
                demo::yes(n.restart),
                demo::yes(n.can_send),
                demo::yes(n.can_receive)
            );
            println!(
                "auth         {}",
                if n.secure_authentication {
                    "secure authentication passed both ways (SECD/AUCH/AURP, RFC 5024 §4.2.4)"
                } else {
                    "no secure authentication (SSIDAUTH N on both sides)"
                }
            );
        }
        None => {
            // How far it got (RFC 5024 §9.8): the transport was up; the transcript tells
            // whether the SSIDs were exchanged and where secure authentication stopped.
            let lines: Vec<&str> = session.transcript().collect();
            let seen = |s: &str| lines.iter().any(|l| l.contains(s));
            println!("phase        TCP connected to {connect}");
            if seen("received SSRM") {
                println!("phase        the partner answered (SSRM)");
            }
            if seen("received SSID") {
                println!("phase        SSID exchange completed");
            } else if seen("sent SSID") {
                println!("phase        SSID sent; the partner refused it before answering");
            }
            if seen("sent SECD") || seen("received SECD") {
                let stage = if seen("received AURP") || seen("sent AURP") {
                    "challenges answered"
                } else if seen("received AUCH") || seen("sent AUCH") {
                    "challenge sent"
                } else {
                    "started"
                };
                println!("phase        secure authentication {stage}, not completed");
            }
            println!("connected    no: the session did not reach the data phase");
        }
    }
    let ok = app.outcome == Outcome::Released;
    if ok {
        println!("verdict      OK");
    } else {
        println!("verdict      FAILED");
        explain_failure(&app.outcome, &session);
    }
    Ok(ok)
}

/// Prints why a session failed, with the RFC names, and the transcript.
fn explain_failure(outcome: &Outcome, session: &Session) {
    match outcome {
        Outcome::Aborted { local, error, esid } => {
            let code = esid.map_or_else(|| "no ESID".to_string(), |r| format!("ESID {r}"));
            let who = if *local {
                "we ended the session"
            } else {
                "the partner ended the session"
            };
            eprintln!("session failed: {who}: {code}");
            eprintln!("  why: {error}");
            if !*local && let Some(hint) = esid.and_then(oftp2_codec::EsidReason::guidance) {
                eprintln!("  check: {hint}");
            }
        }
        other => eprintln!("session failed: {other:?}"),
    }
    eprintln!("  transcript (RFC 5024 §9 states):");
    for line in session.transcript() {
        eprintln!("    {line}");
    }
}

/// Which of our certificates and the partner's a session starting now uses for secure
/// authentication, and why a partner certificate is passed over.
fn print_credentials(creds: &Credentials, partner: &OdetteId) {
    let auth = Purpose::SessionAuthentication;
    let keys = creds.identity.keys(auth);
    for (i, k) in keys.iter().enumerate() {
        let role = if i == 0 { "ours" } else { "ours (previous)" };
        println!("certificate  {role}: {}", k.certificate().summary());
    }
    let now = clock::unix_now();
    match creds.partners.current(partner, auth, now) {
        Ok(c) => println!(
            "certificate  {partner} (AUCH encrypted to it): {}",
            c.summary()
        ),
        Err(e) => println!("certificate  {partner}: {e}"),
    }
    for c in creds.partners.configured(partner, auth) {
        if let Some(why) = c.rejection_at(now) {
            println!(
                "certificate  {partner} (not used): {}: {why}",
                c.certificate().summary()
            );
        }
    }
}

fn security_from(creds: Option<&Credentials>) -> Option<Box<dyn oftp2_session::SessionSecurity>> {
    creds.map(|c| c.session_security(clock::unix_now()) as Box<dyn oftp2_session::SessionSecurity>)
}
