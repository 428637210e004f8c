//! Refuses obviously guessable bearer tokens at start-up.
//!
//! A token is a password that never expires and is presented by a program, so there is no reason
//! for it to be short or memorable. Failed attempts are throttled per address, but a weak token
//! falls to a dictionary before any throttle matters. The rules catch the usual mistakes
//! (`changeme…`, a word repeated, `0123456789abcdef…`) without judging random output: 32 random
//! hex characters (128 bits, `openssl rand -hex 16`) always pass, and so does anything longer
//! from `openssl rand -hex 32` or `-base64 32`.

/// Shortest plaintext token accepted.
pub const MIN_TOKEN_LEN: usize = 32;
/// Fewest distinct characters: a random 32-character hex token has ~14.
const MIN_DISTINCT: usize = 10;
/// Least Shannon entropy of the token's own character distribution, in bits for the whole token.
/// 32 random hex characters measure ~110 bits (the estimate runs below the true 128 for short
/// strings); a repeated word or a short alphabet measures far less.
const MIN_ENTROPY_BITS: f64 = 90.0;
/// Most adjacent pairs that repeat a character or step by one (`aa`, `ab`, `43`), as a share:
/// random hex has ~19 %, keyboard runs and counting sequences far more.
const MAX_SEQUENTIAL_SHARE: f64 = 0.5;

/// `Err(why)` for a token that is too short or too predictable. The reason never quotes it.
pub(super) fn check(token: &str) -> Result<(), String> {
    let chars: Vec<char> = token.chars().collect();
    let n = chars.len();
    if n < MIN_TOKEN_LEN {
        return Err(format!(
            "the token is shorter than {MIN_TOKEN_LEN} characters; use a long random one, e.g. \
             `openssl rand -hex 32`"
        ));
    }
    let mut counts = std::collections::HashMap::<char, usize>::new();
    for c in &chars {
        *counts.entry(*c).or_default() += 1;
    }
    let entropy: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum::<f64>()
        * n as f64;
    let sequential = chars
        .windows(2)
        .filter(|w| (w[0] as i64 - w[1] as i64).abs() <= 1)
        .count() as f64
        / (n - 1) as f64;
    let periodic = (1..=n / 2).any(|p| (p..n).all(|i| chars[i] == chars[i - p]));
    if counts.len() < MIN_DISTINCT
        || entropy < MIN_ENTROPY_BITS
        || sequential > MAX_SEQUENTIAL_SHARE
        || periodic
    {
        return Err(
            "the token is too predictable (repeated or sequential characters, or too few \
             distinct ones); use a random one, e.g. `openssl rand -hex 32`"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_pass() {
        for t in [
            "9f86d081884c7d659a2feaa0c55ad015",
            "3f1c0d6e9a4b7e21c85d0f6a9b3e4c7d2a1f8e6b5c4d3a2b1c0f9e8d7c6b5a49",
            "q8R2vX0mN7tK4pL1sW9dF6gH3jB5zC8x",
            "bWFrZSBpdCBsb25nIGFuZCByYW5kb20gcGxlYXNlIQ+/",
        ] {
            assert_eq!(check(t), Ok(()), "{t}");
        }
    }

    #[test]
    fn short_or_predictable_tokens_are_refused() {
        for t in [
            "0123456789abcdef0123456789",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "0123456789abcdef0123456789abcdef",
            "passwordpasswordpasswordpassword",
            "abcdefghijklmnopqrstuvwxyzabcdefgh",
            "qwertyuiopqwertyuiopqwertyuiopqwerty",
            "abababababababababababababababababab",
        ] {
            let e = check(t).unwrap_err();
            assert!(!e.contains(t), "the reason quotes the token: {e}");
        }
    }
}
