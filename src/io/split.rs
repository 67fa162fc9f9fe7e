//! Splitting a [`BoxStream`] into halves for separate tasks, and putting them back together.

use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf};

use super::read::ReadState;
use super::reader::BoxReader;
use super::stream::BoxStream;
use super::write::WriteState;
use super::writer::BoxWriter;
use crate::keys::PublicKey;

impl<IO: ?Sized, A> BoxStream<IO, A> {
    /// Splits into halves that can be used from separate tasks, with the transport split by
    /// `split` (for example `tokio::net::TcpStream::into_split`, which needs no lock). The two
    /// directions of a box-stream share no state.
    pub fn split_with<R, W>(
        self,
        split: impl FnOnce(IO) -> (R, W),
    ) -> (BoxReader<R, A>, BoxWriter<W, A>)
    where
        IO: Unpin + Sized,
    {
        let BoxStream {
            io,
            read,
            write,
            peer,
            auth,
        } = self;
        let (r, w) = split(*Pin::into_inner(io));
        halves(read, write, peer, auth, r, w)
    }
}

/// The reading half [`BoxStream::into_split`] gives for a transport `IO`.
pub type SplitReader<IO, A = ()> = BoxReader<ReadHalf<Pin<Box<IO>>>, A>;
/// The writing half [`BoxStream::into_split`] gives for a transport `IO`.
pub type SplitWriter<IO, A = ()> = BoxWriter<WriteHalf<Pin<Box<IO>>>, A>;

impl<IO: AsyncRead + AsyncWrite, A> BoxStream<IO, A> {
    /// Splits into owned halves for separate tasks, over `tokio::io::split` (which works for
    /// any transport, at the cost of a lock shared by the halves). Use
    /// [`split_with`](Self::split_with) where the transport splits itself.
    pub fn into_split(self) -> (SplitReader<IO, A>, SplitWriter<IO, A>) {
        let BoxStream {
            io,
            read,
            write,
            peer,
            auth,
        } = self;
        let (r, w) = tokio::io::split(io);
        halves(read, write, peer, auth, r, w)
    }
}

/// Gives each half its direction's state and both the peer's key and the auth value (shared,
/// so it need not be `Clone`).
fn halves<R, W, A>(
    read: ReadState,
    write: WriteState,
    peer: PublicKey,
    auth: A,
    r: R,
    w: W,
) -> (BoxReader<R, A>, BoxWriter<W, A>) {
    let auth = Arc::new(auth);
    let reader = BoxReader {
        io: r,
        state: read,
        peer,
        auth: Arc::clone(&auth),
    };
    let writer = BoxWriter {
        io: w,
        state: write,
        peer,
        auth,
    };
    (reader, writer)
}

/// Two halves of one stream taken apart again, with the auth value they shared.
struct Rejoined<R, W, A> {
    r: R,
    w: W,
    read: ReadState,
    write: WriteState,
    peer: PublicKey,
    auth: A,
}

/// Takes apart two halves of one stream, or gives them back if they are not a pair.
#[allow(clippy::result_large_err, clippy::type_complexity)]
fn rejoin<R, W, A>(
    reader: BoxReader<R, A>,
    writer: BoxWriter<W, A>,
) -> Result<Rejoined<R, W, A>, (BoxReader<R, A>, BoxWriter<W, A>)> {
    if !Arc::ptr_eq(&reader.auth, &writer.auth) {
        return Err((reader, writer));
    }
    let BoxReader {
        io: r,
        state: read,
        peer,
        auth,
    } = reader;
    let BoxWriter {
        io: w,
        state: write,
        auth: writers_share,
        ..
    } = writer;
    // Only the two halves ever hold the value.
    drop(writers_share);
    match Arc::try_unwrap(auth) {
        Ok(auth) => Ok(Rejoined {
            r,
            w,
            read,
            write,
            peer,
            auth,
        }),
        Err(auth) => {
            let reader = BoxReader {
                io: r,
                state: read,
                peer,
                auth: Arc::clone(&auth),
            };
            let writer = BoxWriter {
                io: w,
                state: write,
                peer,
                auth,
            };
            Err((reader, writer))
        }
    }
}

impl<R, A> BoxReader<R, A> {
    /// Puts halves from [`BoxStream::split_with`] back together, joining the transport halves
    /// with `join`, which gives them back if they do not belong together. For TCP:
    /// `reader.reunite_with(writer, |r, w| r.reunite(w).map_err(|e| (e.0, e.1)))`.
    ///
    /// Halves of different streams are handed back unchanged.
    #[allow(clippy::result_large_err, clippy::type_complexity)]
    pub fn reunite_with<W, IO>(
        self,
        writer: BoxWriter<W, A>,
        join: impl FnOnce(R, W) -> Result<IO, (R, W)>,
    ) -> Result<BoxStream<IO, A>, (BoxReader<R, A>, BoxWriter<W, A>)> {
        let Rejoined {
            r,
            w,
            read,
            write,
            peer,
            auth,
        } = rejoin(self, writer)?;
        match join(r, w) {
            Ok(io) => Ok(BoxStream {
                io: Box::pin(io),
                read,
                write,
                peer,
                auth,
            }),
            // Give the halves back as they were.
            Err((r, w)) => Err(halves(read, write, peer, auth, r, w)),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite, A> SplitReader<IO, A> {
    /// Puts the halves from [`BoxStream::into_split`] back together. Gives them back if they
    /// come from different streams.
    // The error hands the halves back, like tokio's own `ReuniteError`; boxing would only add
    // an allocation to a rare path.
    #[allow(clippy::result_large_err)]
    pub fn reunite(
        self,
        writer: SplitWriter<IO, A>,
    ) -> Result<BoxStream<IO, A>, ReuniteError<IO, A>> {
        if !self.io.is_pair_of(&writer.io) {
            return Err(ReuniteError(self, writer));
        }
        let Rejoined {
            r,
            w,
            read,
            write,
            peer,
            auth,
        } = rejoin(self, writer).map_err(|(reader, writer)| ReuniteError(reader, writer))?;
        Ok(BoxStream {
            io: r.unsplit(w),
            read,
            write,
            peer,
            auth,
        })
    }
}

/// Halves of two different streams, handed back by [`BoxReader::reunite`].
pub struct ReuniteError<IO, A = ()>(pub SplitReader<IO, A>, pub SplitWriter<IO, A>);

impl<IO, A> std::fmt::Debug for ReuniteError<IO, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<IO, A> std::fmt::Display for ReuniteError<IO, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves of different box-streams")
    }
}

impl<IO, A> std::error::Error for ReuniteError<IO, A> {}
