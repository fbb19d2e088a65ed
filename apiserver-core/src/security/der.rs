//! Just enough DER to read a certificate's subject: the common name and organizations the x509 authenticator maps to user and groups.

/// One DER element: its tag and contents.
struct Element<'a> {
    tag: u8,
    contents: &'a [u8],
}

/// Reads the element at the front of `input`, returning it and what follows.
fn element(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((Element { tag, contents: &rest[..len] }, &rest[len..]))
}

/// The elements of a constructed element's contents.
fn children(mut contents: &[u8]) -> Option<Vec<Element<'_>>> {
    let mut out = Vec::new();
    while !contents.is_empty() {
        let (e, rest) = element(contents)?;
        out.push(e);
        contents = rest;
    }
    Some(out)
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];

/// A certificate subject's common name and organizations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subject {
    /// `CN` (empty when absent).
    pub common_name: String,
    /// Every `O`, in order.
    pub organizations: Vec<String>,
}

/// The subject of a DER certificate; `None` when it does not parse.
pub fn certificate_subject(der: &[u8]) -> Option<Subject> {
    let (cert, _) = element(der)?;
    let tbs = children(cert.contents)?.into_iter().next()?;
    let mut fields = children(tbs.contents)?.into_iter();
    // [0] version is optional; skip it when present.
    let mut serial = fields.next()?;
    if serial.tag == 0xa0 {
        serial = fields.next()?;
    }
    let _ = serial;
    let _signature = fields.next()?;
    let _issuer = fields.next()?;
    let _validity = fields.next()?;
    let subject = fields.next()?;
    if subject.tag != SEQUENCE {
        return None;
    }
    let mut out = Subject::default();
    for rdn in children(subject.contents)? {
        if rdn.tag != SET {
            return None;
        }
        for atv in children(rdn.contents)? {
            let parts = children(atv.contents)?;
            let [oid, value] = parts.as_slice() else { return None };
            if oid.tag != OID {
                return None;
            }
            let text = String::from_utf8_lossy(value.contents).to_string();
            if oid.contents == OID_COMMON_NAME {
                out.common_name = text;
            } else if oid.contents == OID_ORGANIZATION {
                out.organizations.push(text);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::pki::{CertificateAuthority, pem_certificates};

    #[test]
    fn reads_common_name_and_organization() {
        let ca = CertificateAuthority::generate("test-ca").unwrap();
        let pair = ca.issue_client("alice", Some("devs"), 1).unwrap();
        let der = pem_certificates(&pair.cert_pem).remove(0);
        let subject = certificate_subject(&der).unwrap();
        assert_eq!(subject.common_name, "alice");
        assert_eq!(subject.organizations, vec!["devs".to_string()]);
        let bare = ca.issue_client("bob", None, 1).unwrap();
        let subject = certificate_subject(&pem_certificates(&bare.cert_pem)[0]).unwrap();
        assert_eq!(subject, Subject { common_name: "bob".into(), organizations: vec![] });
        assert!(certificate_subject(&der[..der.len() / 2]).is_none());
    }
}
