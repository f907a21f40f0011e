//! go-plugin's start-up contract: the magic cookie, protocol version
//! negotiation and the one handshake line on stdout.

use base64::Engine;

/// Set by Terraform when it starts a provider; proves we were not run by hand.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own handshake format version (the first field).
const CORE_PROTOCOL_VERSION: u32 = 1;
/// The only Terraform plugin protocol major we speak.
pub const PROTOCOL_VERSION: u32 = 6;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error(
        "This binary is a plugin for Terraform and OpenTofu. It is not meant to be run \
         directly: Terraform starts it when a configuration uses the domo provider.\n\
         To debug it, run it with --debug and follow the instructions it prints."
    )]
    NotLaunchedByTerraform,
    #[error(
        "Terraform offered plugin protocol version(s) {offered}, but this provider speaks \
         only version {PROTOCOL_VERSION}. Use Terraform >= 1.0 or any OpenTofu release."
    )]
    UnsupportedProtocol { offered: String },
}

/// Checks the cookie Terraform sets in the environment.
pub fn check_magic_cookie(value: Option<&str>) -> Result<(), HandshakeError> {
    match value {
        Some(MAGIC_COOKIE_VALUE) => Ok(()),
        _ => Err(HandshakeError::NotLaunchedByTerraform),
    }
}

/// Picks protocol 6 from `PLUGIN_PROTOCOL_VERSIONS` (e.g. "5,6"). go-plugin
/// clients that send nothing expect the plugin's default, which is 6.
pub fn negotiate_version(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(offered) = offered.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(PROTOCOL_VERSION);
    };
    let speaks_ours = offered
        .split(',')
        .any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
    if speaks_ours {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::UnsupportedProtocol {
            offered: offered.to_owned(),
        })
    }
}

/// `CORE|APP|NETWORK|ADDR|grpc|CERT`: `unix` and a socket path, or `tcp`
/// and `127.0.0.1:PORT`; the server certificate's DER in base64 (standard
/// alphabet, no padding, as go-plugin expects), or empty when the
/// connection is plaintext.
pub fn handshake_line(network: &str, address: &str, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|{network}|{address}|grpc|{cert}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie() {
        assert!(check_magic_cookie(Some(MAGIC_COOKIE_VALUE)).is_ok());
        assert_eq!(
            check_magic_cookie(None),
            Err(HandshakeError::NotLaunchedByTerraform)
        );
        assert!(check_magic_cookie(Some("nope")).is_err());
    }

    #[test]
    fn version_negotiation() {
        assert_eq!(negotiate_version(Some("5,6")), Ok(6));
        assert_eq!(negotiate_version(Some("6, 5")), Ok(6));
        assert_eq!(negotiate_version(Some("6")), Ok(6));
        assert_eq!(negotiate_version(None), Ok(6));
        let err = negotiate_version(Some("4,5")).unwrap_err();
        assert!(err.to_string().contains("4,5"), "{err}");
    }

    #[test]
    fn line_format() {
        let p = "/tmp/x/plugin.sock";
        assert_eq!(
            handshake_line("unix", p, None),
            "1|6|unix|/tmp/x/plugin.sock|grpc|"
        );
        // 2 bytes of DER need padding in standard base64; go-plugin wants none.
        assert_eq!(
            handshake_line("unix", p, Some(&[0xff, 0xee])),
            "1|6|unix|/tmp/x/plugin.sock|grpc|/+4"
        );
        assert_eq!(handshake_line("unix", p, Some(&[1])).split('|').count(), 6);
        assert_eq!(
            handshake_line("tcp", "127.0.0.1:10001", None),
            "1|6|tcp|127.0.0.1:10001|grpc|"
        );
    }
}
