//! stdin and stdout on threads of their own, doing blocking reads and writes of large chunks
//! that bounded channels carry to and from the async side. (tokio's own stdin and stdout
//! hand every call to a blocking thread, which made shs-cat a tenth as fast as the library.)
//!
//! Buffers go back to the side that fills them once used, so steady bulk flow allocates
//! nothing.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::sync::{mpsc as std_mpsc, Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::exit;

/// The largest piece read from stdin or written to stdout at once.
pub const CHUNK: usize = 256 * 1024;
/// Chunks in flight each way, so at most about `(DEPTH + 2) * CHUNK` bytes per direction.
const DEPTH: usize = 4;

/// A buffer of `CHUNK` bytes whose first `len` hold data.
pub struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

impl Chunk {
    pub fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A spare buffer from `spares`, or a new one.
fn spare(spares: &std_mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
    spares.try_recv().unwrap_or_else(|_| vec![0; CHUNK])
}

/// What a reader of stdin finds next.
pub enum Next {
    Data(Chunk),
    End,
    Failed(io::Error),
}

/// stdin, read by its own thread from the moment this is made.
pub struct Input {
    chunks: mpsc::Receiver<io::Result<Chunk>>,
    spares: std_mpsc::Sender<Vec<u8>>,
}

impl Input {
    pub fn stdin() -> Input {
        let (tx, chunks) = mpsc::channel(DEPTH);
        let (spares, returned) = std_mpsc::channel();
        std::thread::spawn(move || {
            let mut stdin = io::stdin().lock();
            loop {
                let mut buf = spare(&returned);
                let chunk = match stdin.read(&mut buf) {
                    Ok(0) => return,
                    Ok(len) => Ok(Chunk { buf, len }),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = chunk.is_err();
                // The session may be over and the receiver gone: then stop reading.
                if tx.blocking_send(chunk).is_err() || failed {
                    return;
                }
            }
        });
        Input { chunks, spares }
    }

    /// Waits for the next chunk.
    pub async fn next(&mut self) -> Next {
        Self::classify(self.chunks.recv().await)
    }

    /// The next chunk if one is ready, without waiting; `None` if nothing is.
    pub fn try_next(&mut self) -> Option<Next> {
        match self.chunks.try_recv() {
            Ok(chunk) => Some(Self::classify(Some(chunk))),
            Err(mpsc::error::TryRecvError::Empty) => None,
            Err(mpsc::error::TryRecvError::Disconnected) => Some(Next::End),
        }
    }

    fn classify(chunk: Option<io::Result<Chunk>>) -> Next {
        match chunk {
            Some(Ok(chunk)) => Next::Data(chunk),
            Some(Err(e)) => Next::Failed(e),
            None => Next::End,
        }
    }

    /// Hands a used chunk's buffer back for the reading thread to fill again.
    pub fn recycle(&self, chunk: Chunk) {
        let _ = self.spares.send(chunk.buf);
    }
}

enum ToStdout {
    Data(Chunk),
    /// Answered once everything before it is written.
    Sync(oneshot::Sender<()>),
}

/// stdout, written by its own thread; one for the whole process, shared by all sessions.
pub struct Output {
    chunks: mpsc::Sender<ToStdout>,
    spares: std_mpsc::Receiver<Vec<u8>>,
    /// Why the thread stopped, once it has.
    failure: Arc<OnceLock<String>>,
}

impl Output {
    pub fn stdout() -> Output {
        let (chunks, mut rx) = mpsc::channel(DEPTH);
        let (give_back, spares) = std_mpsc::channel();
        let failure = Arc::new(OnceLock::new());
        let failed = Arc::clone(&failure);
        std::thread::spawn(move || {
            // A file on a copy of descriptor 1: no line buffering, one write per chunk.
            let mut stdout = match io::stdout().as_fd().try_clone_to_owned() {
                Ok(fd) => std::fs::File::from(fd),
                Err(e) => {
                    let _ = failed.set(e.to_string());
                    return;
                }
            };
            while let Some(message) = rx.blocking_recv() {
                match message {
                    ToStdout::Data(chunk) => {
                        if let Err(e) = stdout.write_all(chunk.data()) {
                            // `shs-cat connect … | head`: not a failure to report (see `exit`).
                            if e.kind() == io::ErrorKind::BrokenPipe {
                                exit::quietly(exit::STDOUT_CLOSED);
                            }
                            let _ = failed.set(e.to_string());
                            return;
                        }
                        let _ = give_back.send(chunk.buf);
                    }
                    ToStdout::Sync(done) => {
                        let _ = done.send(());
                    }
                }
            }
        });
        Output {
            chunks,
            spares,
            failure,
        }
    }

    /// A buffer to fill, `CHUNK` bytes long.
    pub fn buffer(&self) -> Vec<u8> {
        spare(&self.spares)
    }

    /// Queues `buf[..len]` for stdout, waiting while the thread is `DEPTH` chunks behind.
    pub async fn write(&self, buf: Vec<u8>, len: usize) -> Result<(), String> {
        let len = len.min(buf.len());
        let chunk = ToStdout::Data(Chunk { buf, len });
        self.chunks.send(chunk).await.map_err(|_| self.failed())
    }

    /// Waits until everything queued so far is written.
    pub async fn sync(&self) -> Result<(), String> {
        let (done, written) = oneshot::channel();
        self.chunks
            .send(ToStdout::Sync(done))
            .await
            .map_err(|_| self.failed())?;
        written.await.map_err(|_| self.failed())
    }

    /// Whether the thread has stopped: every later write fails.
    pub fn has_failed(&self) -> bool {
        self.failure.get().is_some()
    }

    fn failed(&self) -> String {
        let why = self.failure.get().map_or("stopped", String::as_str);
        format!("writing stdout: {why}")
    }
}
