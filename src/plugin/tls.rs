//! AutoMTLS as go-plugin does it: Terraform gives us its certificate in
//! `PLUGIN_CLIENT_CERT`; we make a fresh self-signed server certificate for
//! `localhost`, send it in the handshake line, and accept only the exact
//! client certificate Terraform gave us.
//!
//! Terraform's certificate is a self-signed P-521 CA certificate, which
//! WebPKI path validation rejects as an end entity. Pinning the exact bytes
//! is both stricter and what the protocol intends; the TLS signature that
//! proves the client holds the key is still checked (aws-lc-rs verifies
//! P-521).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    BadClientCert(String),
    #[error("could not create the server certificate: {0}")]
    CertGeneration(#[from] rcgen::Error),
    #[error("could not set up TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The server side of one AutoMTLS session.
pub struct AutoMtls {
    pub server_config: Arc<rustls::ServerConfig>,
    /// The server certificate's DER, for the handshake line.
    pub server_cert_der: Vec<u8>,
}

impl AutoMtls {
    /// Builds the TLS server that trusts exactly `client_cert_pem`.
    pub fn new(client_cert_pem: &str) -> Result<Self, TlsError> {
        let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
            .map_err(|e| TlsError::BadClientCert(e.to_string()))?;
        let (cert, key) = self_signed_localhost()?;
        let provider = Arc::new(aws_lc_rs::default_provider());
        let verifier = Arc::new(PinnedClientCert {
            pinned: client_cert.into_owned(),
            provider: provider.clone(),
        });
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![cert.clone()], key)?;
        // Newer gRPC-Go clients refuse TLS connections that do not
        // negotiate HTTP/2 through ALPN.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(AutoMtls {
            server_config: Arc::new(config),
            server_cert_der: cert.to_vec(),
        })
    }
}

/// A fresh P-256 key and certificate for `localhost`, shaped like go-plugin's
/// own (a CA usable for server and client auth) so any go-plugin client
/// accepts it as its root.
pub fn self_signed_localhost() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError>
{
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "HashiCorp");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = params.self_signed(&key)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key_der))
}

/// Accepts exactly one client certificate, byte for byte.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage_client_cert() {
        assert!(matches!(
            AutoMtls::new("not a pem"),
            Err(TlsError::BadClientCert(_))
        ));
    }

    #[test]
    fn p521_signatures_are_verifiable() {
        let provider = aws_lc_rs::default_provider();
        let schemes = provider
            .signature_verification_algorithms
            .supported_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    #[test]
    fn builds_with_a_p521_client_cert_and_offers_h2() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        let mtls = AutoMtls::new(&pem).unwrap();
        assert_eq!(mtls.server_config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(!mtls.server_cert_der.is_empty());
    }
}
