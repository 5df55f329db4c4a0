//! Client authentication by certificate (RFC 8705 §2): the client
//! certificate presented on the https listener, checked against the
//! client's registration. `tls_client_auth`: the chain verifies to the
//! server's `client_ca` (for client authentication, now) and the leaf
//! carries the registered subject DN or DNS name. `self_signed_tls_client_auth`:
//! the leaf's SHA-256 is registered. Error descriptions name what failed,
//! never certificate content beyond the client id.

use std::sync::Arc;

use rustls::pki_types::UnixTime;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::state::{Client, Shared};
use crate::config::{SELF_SIGNED_TLS_CLIENT_AUTH, TLS_CLIENT_AUTH};
use crate::tls::Peer;

/// The client `client_id` authenticated by the certificate `peer`
/// presented, or the `error_description` of an `invalid_client` answer.
pub(super) fn certificate_client(
    shared: &Shared,
    client_id: &str,
    peer: &Peer,
) -> Result<Arc<Client>, String> {
    let client = shared
        .clients
        .read()
        .get(client_id)
        .cloned()
        .ok_or_else(|| "unknown client or wrong certificate".to_string())?;
    let config = &client.config;
    let pki = config.allows_method(TLS_CLIENT_AUTH);
    let self_signed = config.allows_method(SELF_SIGNED_TLS_CLIENT_AUTH);
    if !pki && !self_signed {
        return Err("client authentication required".into());
    }
    let Some(chain) = peer.chain.as_ref().filter(|c| !c.is_empty()) else {
        return Err(if peer.tls {
            "client certificate required (none was presented)".into()
        } else {
            "client certificate required: use the https listener (mtls_endpoint_aliases)".into()
        });
    };
    if self_signed {
        let digest = peer.leaf_sha256_hex().unwrap_or_default();
        if config.certificate_digests().contains(&digest) {
            return Ok(client);
        }
        if !pki {
            return Err("client certificate is not registered for this client".into());
        }
    }
    let verifier = shared
        .client_ca
        .as_ref()
        .ok_or_else(|| "tls_client_auth needs the server's client_ca".to_string())?;
    verifier
        .verify_client_cert(&chain[0], &chain[1..], UnixTime::now())
        .map_err(|e| format!("client certificate does not chain to the client CA: {e}"))?;
    let (_, leaf) = X509Certificate::from_der(chain[0].as_ref())
        .map_err(|_| "client certificate is not valid X.509".to_string())?;
    if let Some(want) = &config.tls_client_auth_subject_dn {
        if dn_pairs(want) == dn_pairs(&leaf.subject().to_string()) {
            return Ok(client);
        }
    }
    if let Some(want) = &config.tls_client_auth_san_dns {
        let names = leaf
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| san.value.general_names.clone())
            .unwrap_or_default();
        if names
            .iter()
            .any(|n| matches!(n, GeneralName::DNSName(d) if d.eq_ignore_ascii_case(want)))
        {
            return Ok(client);
        }
    }
    Err("client certificate subject does not match the registration".into())
}

/// A DN as a sorted list of `TYPE=value` pairs (type upper-cased, both
/// trimmed), so that RFC 4514 order (last RDN first) and certificate order
/// compare equal.
fn dn_pairs(dn: &str) -> Vec<String> {
    let mut pairs: Vec<String> = dn
        .split([',', '+'])
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some(format!("{}={}", k.trim().to_ascii_uppercase(), v.trim()))
        })
        .collect();
    pairs.sort();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::hex;

    #[test]
    fn dns_compare_as_sets_of_pairs() {
        assert_eq!(dn_pairs("CN=a, O=Example"), dn_pairs("o=Example,CN=a"));
        assert_ne!(dn_pairs("CN=a"), dn_pairs("CN=b"));
        assert_eq!(hex(&[0xab, 0x01]), "ab01");
    }
}
