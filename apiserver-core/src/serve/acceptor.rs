//! [`Acceptor`]: what turns an accepted TCP connection into the byte stream HTTP runs over.

use std::future::Future;
use std::io;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Turns each accepted TCP connection into the stream HTTP is spoken over: the
/// connection itself for plain HTTP ([`PlainTcp`]), a TLS session for HTTPS.
///
/// `accept` runs on the connection's own task, so a slow handshake never holds up the
/// accept loop. The stream it returns is handed to hyper's automatic HTTP/1.1 + HTTP/2
/// server, which picks the protocol from the first bytes (the HTTP/2 preface), so an
/// HTTPS acceptor only has to offer `h2` and `http/1.1` over ALPN.
pub trait Acceptor: Send + Sync + 'static {
    /// The stream HTTP runs over.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Completes the connection's handshake (none for plain TCP). An error closes the
    /// connection and is logged; the server keeps accepting others.
    fn accept(&self, stream: TcpStream) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Values every request of the connection carries in its extensions (an HTTPS
    /// acceptor puts the client's certificates there); none by default.
    fn connection_extensions(&self, _stream: &Self::Stream) -> http::Extensions {
        http::Extensions::new()
    }
}

/// Plain, unencrypted HTTP: the TCP connection is the stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainTcp;

impl Acceptor for PlainTcp {
    type Stream = TcpStream;

    async fn accept(&self, stream: TcpStream) -> io::Result<TcpStream> {
        Ok(stream)
    }
}
