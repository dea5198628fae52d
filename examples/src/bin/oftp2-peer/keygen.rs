//! `oftp2-peer keygen`: a key, a self-signed certificate and a CSR naming our ODETTE ID,
//! with the next steps.

#![allow(
    clippy::wildcard_imports,
    reason = "a subcommand of the binary: its arguments, helpers and imports are the binary's"
)]

use super::*;

/// `keygen`: writes the three files (never over existing ones) and prints the next steps.
pub(crate) fn keygen(ssid: &str, out: &std::path::Path) -> Result<bool, BoxError> {
    let id = OdetteId::new(ssid)?;
    let files = oftp2_examples::identity::keygen(id.as_str())?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = |ext: &str| out.join(format!("{id}.{ext}"));
    for (ext, text) in [
        ("key.pem", &files.key_pem),
        ("cert.pem", &files.cert_pem),
        ("csr.pem", &files.csr_pem),
    ] {
        let p = path(ext);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .map_err(|e| format!("{}: {e} (keygen never overwrites a key)", p.display()))?;
        f.write_all(text.as_bytes())?;
    }
    let (key, cert, csr) = (path("key.pem"), path("cert.pem"), path("csr.pem"));
    println!(
        "wrote {} (keep it secret), {}, {}",
        key.display(),
        cert.display(),
        csr.display()
    );
    println!("next steps:");
    println!(
        "  1. tests and pilots: send {} to your partner; it configures it as your",
        cert.display()
    );
    println!("     certificate (secure authentication, signed receipts: RFC 5024 section 10.4).");
    println!(
        "  2. production: send {} to your CA (for OFTP2, e.g. the ODETTE CA) and",
        csr.display()
    );
    println!("     give partners the certificate it returns instead of the self-signed one.");
    println!(
        "  3. use the key: oftp2-peer listen|send|check --auth-key {} --auth-cert {}",
        key.display(),
        cert.display()
    );
    println!("  4. check with a partner: oftp2-peer check --connect HOST:PORT --ssid {id} \\");
    println!(
        "       --password PW --partner PARTNER --auth-key {} --auth-cert {} --partner-cert PARTNER.cert.pem",
        key.display(),
        cert.display()
    );
    Ok(true)
}
