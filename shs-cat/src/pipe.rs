//! Piping a box-stream: the input to the peer, the peer to stdout, both at once.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use secret_handshake::BoxStream;

const CHUNK: usize = 64 * 1024;

/// Sends `input` (or nothing, if `None`) then the goodbye, while copying the peer's data to
/// stdout until its goodbye. Returns once both directions are done, or at the first failure.
pub async fn run(
    stream: BoxStream<TcpStream>,
    input: Option<impl AsyncRead + Unpin>,
) -> Result<(), String> {
    let (mut from_peer, mut to_peer) = stream.split_with(TcpStream::into_split);
    let send = async move {
        if let Some(mut input) = input {
            pump(
                &mut input,
                &mut to_peer,
                "reading stdin",
                "sending to the peer",
            )
            .await?;
        }
        to_peer
            .shutdown()
            .await
            .map_err(|e| format!("sending the goodbye: {e}"))
    };
    let receive = async move {
        let mut stdout = tokio::io::stdout();
        pump(
            &mut from_peer,
            &mut stdout,
            "receiving from the peer",
            "writing stdout",
        )
        .await
    };
    tokio::try_join!(send, receive).map(|_| ())
}

/// Copies until `reader` ends, flushing `writer` after every chunk so interactive use works
/// (a box-stream writer buffers like a `BufWriter`). Errors name the side that failed.
async fn pump<R, W>(
    reader: &mut R,
    writer: &mut W,
    reading: &str,
    writing: &str,
) -> Result<(), String>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0; CHUNK];
    loop {
        let n = reader
            .read(&mut buf)
            .await
            .map_err(|e| format!("{reading}: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        writer
            .write_all(&buf[..n])
            .await
            .map_err(|e| format!("{writing}: {e}"))?;
        writer
            .flush()
            .await
            .map_err(|e| format!("{writing}: {e}"))?;
    }
}
