//! The built-in authorization server's signing key: from a configured PEM file, or generated once
//! (Ed25519) and persisted in the state directory so that tokens survive a restart.
//!
//! The private key never leaves this module; only its public JWK (served at `/oauth/jwks`) and a
//! verification key for our own resource side come out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;

use crate::transport::oauth::OAuthError;
use crate::transport::oauth::keys::VerifyKey;

/// File name of a generated key inside the state directory.
const KEY_FILE: &str = "oauth-signing-key.pem";
/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410 §7), followed by the 32-byte seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// Largest key file read.
const MAX_KEY_FILE: u64 = 16 * 1024;

/// The signing key and its public half.
pub struct SigningKey {
    alg: Algorithm,
    kid: String,
    key: EncodingKey,
    public: Jwk,
}

impl SigningKey {
    /// The configured key file, else the persisted generated key in `key_dir`, else a new one
    /// (written to `key_dir` when there is one).
    pub fn load(file: Option<&Path>, key_dir: Option<&Path>) -> Result<Self, OAuthError> {
        if let Some(path) = file {
            return Self::from_pem(&read_pem(path)?)
                .map_err(|e| OAuthError::setup(format!("{}: {e}", path.display())));
        }
        let Some(dir) = key_dir else {
            tracing::warn!(
                "OAuth: no state directory; the signing key lives in memory and issued tokens die with the process"
            );
            return Self::from_pem(&generate_pem());
        };
        let path: PathBuf = dir.join(KEY_FILE);
        if path.exists() {
            return Self::from_pem(&read_pem(&path)?)
                .map_err(|e| OAuthError::setup(format!("{}: {e}", path.display())));
        }
        let pem = generate_pem();
        write_private(&path, &pem)?;
        tracing::info!(path = %path.display(), "OAuth: generated a signing key");
        Self::from_pem(&pem)
    }

    fn from_pem(pem: &str) -> Result<Self, OAuthError> {
        let bytes = pem.as_bytes();
        let (alg, key) = if let Ok(k) = EncodingKey::from_ed_pem(bytes) {
            (Algorithm::EdDSA, k)
        } else if let Ok(k) = EncodingKey::from_ec_pem(bytes) {
            (Algorithm::ES256, k)
        } else if let Ok(k) = EncodingKey::from_rsa_pem(bytes) {
            (Algorithm::RS256, k)
        } else {
            return Err(OAuthError::setup(
                "not a PKCS#8 PEM Ed25519, P-256 or RSA private key",
            ));
        };
        let mut public = Jwk::from_encoding_key(&key, alg)
            .map_err(|e| OAuthError::setup(format!("cannot derive the public key: {e}")))?;
        let kid = public
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| OAuthError::setup(format!("cannot compute the key id: {e}")))?;
        public.common.key_id = Some(kid.clone());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        // Prove now that the key signs (a P-384 key would parse as EC but fail here).
        jsonwebtoken::encode(&Header::new(alg), &serde_json::json!({}), &key)
            .map_err(|e| OAuthError::setup(format!("the key cannot sign {alg:?}: {e}")))?;
        Ok(SigningKey {
            alg,
            kid,
            key,
            public,
        })
    }

    /// Signs `claims` as an RFC 9068 access token.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, OAuthError> {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|e| OAuthError::setup(format!("signing failed: {e}")))
    }

    /// The public JWKS document.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.public] })
    }

    /// The verification key for our own tokens, by `kid`.
    pub fn verify_keys(&self) -> HashMap<String, Arc<VerifyKey>> {
        let mut m = HashMap::new();
        if let Ok(key) = DecodingKey::from_jwk(&self.public) {
            m.insert(self.kid.clone(), Arc::new(VerifyKey { alg: self.alg, key }));
        }
        m
    }
}

fn generate_pem() -> String {
    let seed: [u8; 32] = rand::random();
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    der.extend_from_slice(&seed);
    let b64 = STANDARD.encode(&der);
    format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
}

fn read_pem(path: &Path) -> Result<String, OAuthError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| OAuthError::setup(format!("{}: {e}", path.display())))?;
    if meta.len() > MAX_KEY_FILE {
        return Err(OAuthError::setup(format!(
            "{}: larger than 16 KiB",
            path.display()
        )));
    }
    std::fs::read_to_string(path).map_err(|e| OAuthError::setup(format!("{}: {e}", path.display())))
}

/// Writes a new file readable by the owner only (never overwrites: `create_new`).
fn write_private(path: &Path, content: &str) -> Result<(), OAuthError> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| OAuthError::setup(format!("{}: {e}", parent.display())))?;
    }
    let mut f = opts
        .open(path)
        .map_err(|e| OAuthError::setup(format!("{}: {e}", path.display())))?;
    f.write_all(content.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| OAuthError::setup(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_persisted_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = SigningKey::load(None, Some(dir.path())).unwrap();
        let b = SigningKey::load(None, Some(dir.path())).unwrap();
        assert_eq!(a.kid, b.kid, "the second start reads the first one's key");
        assert_eq!(a.alg, Algorithm::EdDSA);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the key file is private");
        }
        let other = SigningKey::load(None, None).unwrap();
        assert_ne!(a.kid, other.kid);
        let token = a.sign(&serde_json::json!({"x": 1})).unwrap();
        let (_, vk) = b.verify_keys().into_iter().next().unwrap();
        let mut v = jsonwebtoken::Validation::new(vk.alg);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        v.validate_aud = false;
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &vk.key, &v).is_ok());
        assert!(
            a.jwks()["keys"][0].get("d").is_none(),
            "no private part in the JWKS"
        );
    }

    #[test]
    fn a_configured_file_must_be_a_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        std::fs::write(&path, "not a key").unwrap();
        assert!(SigningKey::load(Some(&path), None).is_err());
    }
}
