//! TLS to the server, by libpq's `sslmode` — with one difference kept on
//! purpose: `require` verifies the server's certificate (libpq's `require`
//! only encrypts), because a headquarters' figures must come from its own
//! server. `prefer` and `allow` mean what libpq means (encrypted when the
//! server offers it, nothing verified) and warn when given. A client
//! certificate (`sslcert`/`sslkey`, else `~/.postgresql/postgresql.crt`
//! and `.key`, as libpq looks for them) is offered in every mode.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Disable,
    /// Plain first; TLS (unverified) only when the server refuses plain.
    Allow,
    /// TLS (unverified) when the server offers it, else plain. libpq's
    /// default.
    Prefer,
    /// TLS, the certificate verified, host name included (see the module).
    Require,
    /// TLS, the certificate's chain verified but not its host name.
    VerifyCa,
    VerifyFull,
}

impl Mode {
    pub fn parse(text: &str) -> Result<Mode, String> {
        Ok(match text {
            "disable" => Mode::Disable,
            "allow" => Mode::Allow,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            other => {
                return Err(format!(
                    "--db: sslmode={other:?} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }

    /// Whether the server's certificate is checked.
    pub fn verifies(self) -> bool {
        matches!(self, Mode::Require | Mode::VerifyCa | Mode::VerifyFull)
    }
}

/// How to reach the server: the mode, whether the user chose it (a chosen
/// `prefer` or `allow` is warned about), the authorities to trust, and the
/// client's certificate and key.
#[derive(Clone, Debug)]
pub struct Tls {
    pub mode: Mode,
    pub chosen: bool,
    /// PEM certificates to trust; None: the public roots (Mozilla's,
    /// compiled in).
    pub root: Option<PathBuf>,
    pub client: Option<(PathBuf, PathBuf)>,
}

impl Tls {
    /// The connector for this mode. `verify` is false for the unverified
    /// modes (and for `allow`'s second try).
    pub fn connector(&self, verify: bool) -> Result<MakeRustlsConnect, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        // The roots matter only when the chain is checked; the lenient
        // modes still need a verifier for the handshake's signatures.
        let roots = Arc::new(if verify {
            roots(self.root.as_deref())?
        } else {
            roots(None)?
        });
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| e.to_string())?;
        let builder = if verify && self.mode != Mode::VerifyCa {
            builder.with_webpki_verifier(inner)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Lenient {
                    inner,
                    chain: verify,
                }))
        };
        let config = match &self.client {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let (chain, key) = client_identity(cert, key)?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    let why = match e {
                        rustls::Error::InvalidCertificate(CertificateError::Other(ref o))
                            if format!("{o:?}").contains("UnsupportedCertVersion") =>
                        {
                            "an X.509 version 1 certificate; TLS here needs version 3 (sign it with any extension, e.g. openssl x509 -req … -extfile with extendedKeyUsage=clientAuth)".to_string()
                        }
                        e => e.to_string(),
                    };
                    format!("sslcert {}: {why}", cert.display())
                })?
            }
        };
        Ok(MakeRustlsConnect::new(config))
    }
}

/// The certificates in `root` (PEM), or the public roots.
fn roots(root: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    let Some(path) = root else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    let bad = |e: &dyn std::fmt::Display| format!("sslrootcert {}: {e}", path.display());
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))? {
        roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
    }
    if roots.is_empty() {
        return Err(bad(&"no certificate in it"));
    }
    Ok(roots)
}

/// The client's certificate chain and key. Like libpq, a key that others
/// may read is refused.
fn client_identity(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("sslcert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("sslcert {}: no certificate in it", cert.display()));
    }
    let meta = std::fs::metadata(key).map_err(|e| format!("sslkey {}: {e}", key.display()))?;
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "sslkey {}: the private key file has group or world access; it must be u=rw (0600) or less (chmod 600 {0})",
                key.display()
            ));
        }
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "sslkey {}: {e} (an unencrypted PEM key is needed; stockpile does not read sslpassword)",
            key.display()
        )
    })?;
    Ok((chain, key))
}

/// The modes that do not check everything: `verify-ca` checks the chain
/// to a trusted authority but not the name in the certificate; `prefer` and
/// `allow` (`chain: false`) accept any certificate. The handshake's
/// signatures are checked either way, so the session is encrypted to
/// whoever holds the certificate's key — but without the chain nothing
/// says who that is.
#[derive(Debug)]
struct Lenient {
    inner: Arc<WebPkiServerVerifier>,
    chain: bool,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self.chain {
            return Ok(ServerCertVerified::assertion());
        }
        // The chain is checked before the name: a name error means the
        // chain passed.
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
