//! Pictures go from the saved generation file to the socket with
//! sendfile(2), as nginx sends its files: no copy of the body through this
//! process.
//!
//! Profiled under 1,000 keep-alive connections asking for a 50 KB picture,
//! a fifth of the server's time was the kernel copying bodies out of memory
//! into socket buffers. hyper still parses, routes and writes the head; this
//! connection wrapper recognises, among the buffers hyper writes, the body of
//! the answer that the handler marked as lying in the saved file, and sends
//! that part from the file instead. The mark holds the body's bytes, so the
//! memory it names cannot be freed and reused while it is set: a buffer that
//! lies inside it *is* that body. Anything else — shells, heads, a picture not
//! saved yet, a file changed under us — is written as before.
//!
//! The port's own HTTP path (`h1`) needs no mark: it calls [`Conn::send`]
//! with the head, the body and where the body lies. Both paths send a
//! backed body the same way (`poll_backed`).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;

use crate::metrics::Metrics;
use crate::publish::blobs::SavedAt;
use crate::sync::Locked;

/// An answer's body and where the same bytes lie in the saved file: put in
/// the response's extensions by the handler.
#[derive(Clone)]
pub struct Backed {
    pub body: Bytes,
    pub at: SavedAt,
}

/// The mark of one connection: the body being answered, if it is backed.
pub type Mark = Arc<Mutex<Option<Backed>>>;

/// A box connection that sends marked bodies with sendfile(2).
pub struct Conn {
    stream: TcpStream,
    /// Bytes read from the client before hyper took the connection over,
    /// read again first.
    unread: Bytes,
    mark: Mark,
    /// Counts the bytes sent from the file.
    metrics: Arc<Metrics>,
    /// A write that stops moving (a box that no longer reads) fails.
    stall: crate::net::Stall,
}

impl Conn {
    pub fn new(stream: TcpStream, mark: Mark, metrics: Arc<Metrics>) -> Conn {
        Conn { stream, unread: Bytes::new(), mark, metrics, stall: crate::net::Stall::new(crate::net::WRITE_STALL) }
    }

    /// Gives `bytes` back to be read first.
    pub fn unread(&mut self, bytes: Bytes) {
        self.unread = bytes;
    }

    /// Sends `head`, then `body` — from its saved file when `at` says where
    /// it lies there — all of it.
    ///
    /// A body from the file goes out corked, as nginx sends with
    /// `tcp_nopush`: full segments leave as they fill, the last part only
    /// once the whole answer is queued. Without the cork the answer's tail
    /// left from inside sendfile(2), right behind a full segment, and under
    /// BBR's pacing it was often held for a timer of its own; measured with
    /// 100 and 1,000 keep-alive connections on a 66 KB picture (bench/load.sh
    /// setup, medians of 6 alternating runs), corked answers went out 1.08
    /// and 1.07 times as fast, with less CPU per request on both ends.
    pub async fn send(&mut self, head: &[u8], body: &[u8], at: Option<&SavedAt>) -> io::Result<()> {
        let file = at.map(|at| (at.file.fd(), at.offset));
        let total = head.len() + body.len();
        let mut sent = 0;
        if file.is_some() {
            self.cork(true);
        }
        while sent < total {
            let n = std::future::poll_fn(|cx| {
                let poll = self.poll_part(cx, head, body, file, sent);
                self.stall.guard(cx, poll)
            })
            .await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            sent += n;
        }
        if file.is_some() {
            self.cork(false);
        }
        Ok(())
    }

    /// Corks the socket (`TCP_CORK`), or uncorks it, sending what waits.
    /// A socket that refuses is only sent from uncorked: nothing is lost.
    /// An answer that fails half-way leaves the cork on, but then the
    /// connection closes.
    #[allow(unsafe_code)] // setsockopt(2) with an int that outlives the call.
    fn cork(&self, on: bool) {
        use std::os::fd::AsRawFd;
        let value = libc::c_int::from(on);
        // SAFETY: the descriptor is open; the kernel reads `value` only
        // during the call, and the length given is its size.
        unsafe {
            libc::setsockopt(
                self.stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_CORK,
                (&raw const value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }

    /// Writes some of what is left after `sent` bytes of `head` and `body`.
    fn poll_part(
        &mut self,
        cx: &mut Context<'_>,
        head: &[u8],
        body: &[u8],
        file: Option<(i32, u64)>,
        sent: usize,
    ) -> Poll<io::Result<usize>> {
        let (head, at) = match head.get(sent..) {
            Some(rest) => (rest, 0),
            None => (&[][..], sent - head.len()),
        };
        let parts = [IoSlice::new(head)];
        match file {
            Some((fd, offset)) if at < body.len() => {
                let head = if head.is_empty() { &parts[..0] } else { &parts[..] };
                self.poll_backed(cx, head, &body[at..], fd, offset + at as u64)
            }
            _ => Pin::new(&mut self.stream).poll_write_vectored(cx, &[parts[0], IoSlice::new(&body[at..])]),
        }
    }

    /// Writes `head` (with "more to come"), then `body` from `file` at
    /// `offset` where the same bytes lie, falling back to memory when the
    /// file cannot give them. Bytes already written are reported even if
    /// the rest must wait: the caller calls again with what is left.
    fn poll_backed(
        &mut self,
        cx: &mut Context<'_>,
        head: &[IoSlice<'_>],
        body: &[u8],
        file: i32,
        offset: u64,
    ) -> Poll<io::Result<usize>> {
        let mut written = 0;
        if !head.is_empty() {
            let before: usize = head.iter().map(|b| b.len()).sum();
            written = ready!(self.poll_send_more(cx, head))?;
            if written < before {
                return Poll::Ready(Ok(written));
            }
        }
        match self.poll_sendfile(cx, file, offset, body.len()) {
            Poll::Ready(Ok(n)) if n > 0 => {
                self.metrics.sent_from_file(n as u64);
                Poll::Ready(Ok(written + n))
            }
            Poll::Pending if written == 0 => Poll::Pending,
            _ if written > 0 => Poll::Ready(Ok(written)),
            // The file ended early (changed under us) or cannot be sent
            // from: memory holds the same bytes.
            _ => Pin::new(&mut self.stream).poll_write(cx, body),
        }
    }

    /// Ends the sending side, as after an answer with `Connection: close`.
    pub(crate) async fn shut(&mut self) {
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut self.stream).await;
    }

    /// The first of `bufs` that lies inside the marked body, with the file
    /// descriptor and the offset its bytes have there.
    fn backed(&self, bufs: &[IoSlice<'_>]) -> Option<(usize, i32, u64)> {
        let mark = self.mark.locked();
        let backed = mark.as_ref()?;
        let start = backed.body.as_ptr() as usize;
        let end = start + backed.body.len();
        let i = bufs.iter().position(|b| {
            let at = b.as_ptr() as usize;
            !b.is_empty() && at >= start && at + b.len() <= end
        })?;
        let fd = backed.at.file.fd();
        Some((i, fd, backed.at.offset + (bufs[i].as_ptr() as usize - start) as u64))
    }

    /// Runs the write system call `call` on the socket (its result as
    /// `ssize_t`) once the socket can take bytes, again after each "would
    /// block".
    fn poll_syscall(&self, cx: &mut Context<'_>, call: impl Fn(i32) -> isize) -> Poll<io::Result<usize>> {
        use std::os::fd::AsRawFd;
        let fd = self.stream.as_raw_fd();
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            let sent = self.stream.try_io(Interest::WRITABLE, || match call(fd) {
                n if n < 0 => Err(io::Error::last_os_error()),
                n => Ok(n as usize),
            });
            match sent {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    /// Writes `bufs` with "more to come" (the body follows at once), so the
    /// head and the body's start share a packet.
    #[allow(unsafe_code)] // sendmsg(2) on buffers borrowed for the call.
    fn poll_send_more(&self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        self.poll_syscall(cx, |fd| {
            // SAFETY: IoSlice is guaranteed ABI-compatible with iovec on
            // Unix; the message names only those buffers, alive for the call.
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
            msg.msg_iovlen = bufs.len().min(libc::UIO_MAXIOV as usize) as _;
            unsafe { libc::sendmsg(fd, &msg, libc::MSG_MORE | libc::MSG_NOSIGNAL) }
        })
    }

    /// Sends `len` bytes of `file` from `offset`; `Ok(0)` when the file ends
    /// before them (it was cut short under us).
    #[allow(unsafe_code)] // sendfile(2) between two open descriptors.
    fn poll_sendfile(&self, cx: &mut Context<'_>, file: i32, offset: u64, len: usize) -> Poll<io::Result<usize>> {
        self.poll_syscall(cx, |fd| {
            let mut off = offset as libc::off_t;
            // SAFETY: both descriptors are open for the call; the kernel
            // writes only `off`.
            unsafe { libc::sendfile(fd, file, &mut off, len) }
        })
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.unread.is_empty() {
            let n = this.unread.len().min(buf.remaining());
            buf.put_slice(&this.unread.split_to(n));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = match this.backed(bufs) {
            None => Pin::new(&mut this.stream).poll_write_vectored(cx, bufs),
            // What comes before the body (the head) first, then the body.
            Some((i, file, offset)) => this.poll_backed(cx, &bufs[..i], &bufs[i], file, offset),
        };
        this.stall.guard(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_flush(cx);
        this.stall.guard(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_shutdown(cx);
        this.stall.guard(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::blobs::SavedFile;
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;

    #[allow(unsafe_code)] // getsockopt(2) into an int of ours.
    fn corked(stream: &TcpStream) -> bool {
        let mut value: libc::c_int = -1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: the descriptor is open; the kernel writes at most `len` bytes.
        let r = unsafe {
            libc::getsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_CORK,
                (&raw mut value).cast(),
                &raw mut len,
            )
        };
        assert_eq!(r, 0, "getsockopt: {}", io::Error::last_os_error());
        value != 0
    }

    /// Answers from the file arrive whole, one after another on the same
    /// connection, and the socket is uncorked after each: a cork left on
    /// would hold the next answer's tail for 200 ms.
    #[test]
    fn answers_from_the_file_arrive_whole_and_leave_the_socket_uncorked() {
        let body: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut pack = tempfile::tempfile().unwrap();
        pack.write_all(&[0; 4096]).unwrap();
        pack.write_all(&body).unwrap();
        let at = SavedAt { file: Arc::new(SavedFile::append_only(pack)), offset: 4096 };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let reader = std::thread::spawn(move || {
                let mut client = std::net::TcpStream::connect(addr).unwrap();
                let mut got = vec![0; 2 * (5 + 200_000)];
                client.read_exact(&mut got).unwrap();
                got
            });
            let (stream, _) = listener.accept().await.unwrap();
            let mut conn = Conn::new(stream, Mark::default(), Arc::new(Metrics::default()));
            // What memory holds differs from the file here, so the bytes
            // that arrive tell where they were sent from.
            let in_memory = vec![0u8; body.len()];
            for head in [&b"head1"[..], b"head2"] {
                conn.send(head, &in_memory, Some(&at)).await.unwrap();
                assert!(!corked(&conn.stream), "uncorked after an answer");
            }
            let got = tokio::task::spawn_blocking(move || reader.join().unwrap()).await.unwrap();
            let answer = |head: &[u8]| [head, &body[..]].concat();
            assert!(
                got == [answer(b"head1"), answer(b"head2")].concat(),
                "both answers, whole, in order, from the file"
            );
        });
    }
}
