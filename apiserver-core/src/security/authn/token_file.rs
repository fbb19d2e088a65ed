//! Static bearer tokens from a CSV file (`--token-auth-file`): `token,user,uid,"group1,group2"` per line.

use std::collections::HashMap;
use std::path::Path;

use async_trait::async_trait;

use super::bearer_token;
use crate::server::auth::{Authenticator, UserInfo};
use crate::status::ApiError;

/// Why a token file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// Reading the file failed.
    #[error("reading the token file: {0}")]
    Io(#[from] std::io::Error),
    /// A line has fewer than three fields.
    #[error("token file line {0}: expected token,user,uid[,\"groups\"]")]
    Line(usize),
}

/// Authenticates bearer tokens listed in a CSV file.
#[derive(Clone, Default)]
pub struct TokenFileAuthenticator {
    tokens: HashMap<String, UserInfo>,
}

impl std::fmt::Debug for TokenFileAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFileAuthenticator").field("tokens", &self.tokens.len()).finish()
    }
}

/// Splits one CSV line, honouring double quotes (`""` is a quote inside quotes).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

impl TokenFileAuthenticator {
    /// Parses CSV text (blank lines and lines starting with `#` are skipped).
    pub fn from_csv(text: &str) -> Result<Self, TokenFileError> {
        let mut tokens = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = csv_fields(line);
            if fields.len() < 3 || fields[0].is_empty() || fields[1].is_empty() {
                return Err(TokenFileError::Line(i + 1));
            }
            let groups = fields
                .get(3)
                .map(|g| {
                    g.split(',')
                        .map(str::trim)
                        .filter(|g| !g.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let mut user = UserInfo::new(fields[1].clone(), Vec::<String>::new());
            user.uid = fields[2].clone();
            user.groups = groups;
            tokens.insert(fields[0].clone(), user);
        }
        Ok(TokenFileAuthenticator { tokens })
    }

    /// Reads a CSV token file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, TokenFileError> {
        Self::from_csv(&std::fs::read_to_string(path)?)
    }
}

#[async_trait]
impl Authenticator for TokenFileAuthenticator {
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserInfo>, ApiError> {
        Ok(bearer_token(request).and_then(|t| self.tokens.get(t)).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        let auth = TokenFileAuthenticator::from_csv(
            "# comment\nt1,alice,u1,\"devs,ops\"\n\nt2,bob,u2\nt3,\"carol, jr\",u3,solo\n",
        )
        .unwrap();
        assert_eq!(auth.tokens["t1"].name, "alice");
        assert_eq!(auth.tokens["t1"].uid, "u1");
        assert_eq!(auth.tokens["t1"].groups, vec!["devs", "ops"]);
        assert!(auth.tokens["t2"].groups.is_empty());
        assert_eq!(auth.tokens["t3"].name, "carol, jr");
        assert_eq!(auth.tokens["t3"].groups, vec!["solo"]);
        assert!(matches!(TokenFileAuthenticator::from_csv("x,y"), Err(TokenFileError::Line(1))));
    }
}
