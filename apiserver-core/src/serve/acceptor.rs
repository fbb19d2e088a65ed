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

    /// What every request of a connection carries in its extensions, besides the
    /// [`super::ConnectionInfo`] (an HTTPS acceptor: the client's certificates).
    /// [`std::convert::Infallible`] when there is nothing.
    type Connection: Clone + Send + Sync + 'static;

    /// The value each request of the connection carries (cloned into every request's
    /// extensions: keep it one cheap clone, such as an `Arc`), or `None`.
    fn connection(&self, stream: &Self::Stream) -> Option<Self::Connection>;
}

/// Plain, unencrypted HTTP: the TCP connection is the stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainTcp;

impl Acceptor for PlainTcp {
    type Stream = TcpStream;
    type Connection = std::convert::Infallible;

    async fn accept(&self, stream: TcpStream) -> io::Result<TcpStream> {
        Ok(stream)
    }

    fn connection(&self, _stream: &TcpStream) -> Option<std::convert::Infallible> {
        None
    }
}
