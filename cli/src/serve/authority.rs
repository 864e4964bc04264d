//! A relay in front of each member's gRPC server that makes clients' `:authority` headers acceptable.
//!
//! etcdctl 3.4 dials a member it found in `member list` by its client URL as is, so grpc-go sends
//! `:authority: http://127.0.0.1:2379` (`endpoint status --cluster`, `endpoint hashkv --cluster`).
//! grpc-go's server ignores the authority; the HTTP/2 stack under tonic refuses a URL there as a
//! malformed header and resets the stream. The relay reads the client's HTTP/2 frames, decodes every
//! header block (HPACK keeps state across blocks, so all of them), drops a scheme from `:authority` and
//! re-encodes the block for the server; every other frame, and everything the server sends, passes
//! through untouched. A connection that does not start with the HTTP/2 preface passes through raw.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;
/// The largest frame the server accepts unless it says otherwise (HTTP/2's default).
const MAX_FRAME: usize = 16_384;

/// Copies `client`'s bytes to `server`, rewriting header blocks, until either side closes.
pub async fn client_to_server<R, W>(mut client: R, mut server: W) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut preface = vec![0u8; PREFACE.len()];
    let n = read_up_to(&mut client, &mut preface).await?;
    server.write_all(&preface[..n]).await?;
    if &preface[..n] != PREFACE {
        tokio::io::copy(&mut client, &mut server).await?;
        return Ok(());
    }
    let mut decoder = hpack::Decoder::new();
    let mut encoder = hpack::Encoder::new();
    loop {
        let Some((kind, flags, stream, payload)) = read_frame(&mut client).await? else { break };
        if kind != HEADERS {
            write_frame(&mut server, kind, flags, stream, &payload).await?;
            continue;
        }
        let (priority, mut block) = split_headers_payload(flags, &payload)?;
        let mut end = flags & END_HEADERS != 0;
        while !end {
            let Some((k, f, _, more)) = read_frame(&mut client).await? else { return Ok(()) };
            if k != CONTINUATION {
                return Err(bad("a header block was interrupted by another frame"));
            }
            block.extend_from_slice(&more);
            end = f & END_HEADERS != 0;
        }
        let headers = decoder.decode(&block).map_err(|e| bad(&format!("bad header block: {e:?}")))?;
        let headers: Vec<(Vec<u8>, Vec<u8>)> = headers.into_iter().map(fix_authority).collect();
        let encoded = encoder.encode(headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice())));
        write_header_block(&mut server, flags & (END_STREAM | PRIORITY), stream, &priority, &encoded).await?;
    }
    server.shutdown().await
}

/// `:authority: http://host:port` becomes `host:port`.
fn fix_authority((name, value): (Vec<u8>, Vec<u8>)) -> (Vec<u8>, Vec<u8>) {
    if name == b":authority" {
        if let Some(p) = value.windows(3).position(|w| w == b"://") {
            return (name, value[p + 3..].to_vec());
        }
    }
    (name, value)
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
async fn read_up_to<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let got = r.read(&mut buf[n..]).await?;
        if got == 0 {
            break;
        }
        n += got;
    }
    Ok(n)
}

/// One frame: type, flags, stream ID and payload; None at a clean end of stream.
async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<Option<(u8, u8, u32, Vec<u8>)>> {
    let mut head = [0u8; 9];
    match read_up_to(r, &mut head).await? {
        0 => return Ok(None),
        9 => {}
        _ => return Err(bad("truncated frame header")),
    }
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    let mut payload = vec![0u8; len];
    r.read_exact(&mut payload).await?;
    Ok(Some((head[3], head[4], stream, payload)))
}

async fn write_frame<W: AsyncWrite + Unpin>(
    w: &mut W,
    kind: u8,
    flags: u8,
    stream: u32,
    payload: &[u8],
) -> std::io::Result<()> {
    let len = (payload.len() as u32).to_be_bytes();
    let mut frame = Vec::with_capacity(9 + payload.len());
    frame.extend_from_slice(&len[1..]);
    frame.push(kind);
    frame.push(flags);
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(payload);
    w.write_all(&frame).await
}

/// A HEADERS payload without its padding: the priority fields (if flagged) and the block fragment.
fn split_headers_payload(flags: u8, payload: &[u8]) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut start = 0;
    let mut end = payload.len();
    if flags & PADDED != 0 {
        let pad = *payload.first().ok_or_else(|| bad("empty padded frame"))? as usize;
        start = 1;
        end = end.checked_sub(pad).filter(|&e| e >= start).ok_or_else(|| bad("padding longer than frame"))?;
    }
    let mut priority = Vec::new();
    if flags & PRIORITY != 0 {
        if end < start + 5 {
            return Err(bad("short priority fields"));
        }
        priority = payload[start..start + 5].to_vec();
        start += 5;
    }
    Ok((priority, payload[start..end].to_vec()))
}

/// Writes a header block as one HEADERS frame, with CONTINUATION frames if it does not fit.
async fn write_header_block<W: AsyncWrite + Unpin>(
    w: &mut W,
    flags: u8,
    stream: u32,
    priority: &[u8],
    block: &[u8],
) -> std::io::Result<()> {
    let first_room = MAX_FRAME - priority.len();
    let (first, rest) = block.split_at(block.len().min(first_room));
    let mut payload = priority.to_vec();
    payload.extend_from_slice(first);
    let chunks: Vec<&[u8]> = rest.chunks(MAX_FRAME).collect();
    let end = if chunks.is_empty() { END_HEADERS } else { 0 };
    write_frame(w, HEADERS, flags | end, stream, &payload).await?;
    for (i, c) in chunks.iter().enumerate() {
        let end = if i + 1 == chunks.len() { END_HEADERS } else { 0 };
        write_frame(w, CONTINUATION, end, stream, c).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
        f.extend_from_slice(&[kind, flags]);
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[tokio::test]
    async fn authority_loses_its_scheme_and_other_frames_pass() {
        let mut enc = hpack::Encoder::new();
        let block = enc.encode(vec![(&b":authority"[..], &b"http://127.0.0.1:2379"[..]), (b":path", b"/x")]);
        let (a, b) = block.split_at(block.len() / 2);
        let mut input = PREFACE.to_vec();
        input.extend(frame(0x4, 0, 0, &[])); // SETTINGS
        input.extend(frame(HEADERS, 0, 1, a));
        input.extend(frame(CONTINUATION, END_HEADERS, 1, b));
        input.extend(frame(0x0, END_STREAM, 1, b"data"));
        let mut out = Vec::new();
        client_to_server(&input[..], &mut out).await.unwrap();
        assert_eq!(&out[..PREFACE.len()], PREFACE);
        let mut rest = &out[PREFACE.len()..];
        let mut frames = Vec::new();
        while let Some(f) = read_frame(&mut rest).await.unwrap() {
            frames.push(f);
        }
        assert_eq!(frames.len(), 3);
        assert_eq!((frames[1].0, frames[1].1), (HEADERS, END_HEADERS));
        let headers = hpack::Decoder::new().decode(&frames[1].3).unwrap();
        assert_eq!(headers[0], (b":authority".to_vec(), b"127.0.0.1:2379".to_vec()));
        assert_eq!(headers[1], (b":path".to_vec(), b"/x".to_vec()));
        assert_eq!(frames[2], (0x0, END_STREAM, 1, b"data".to_vec()));
    }

    #[tokio::test]
    async fn a_stream_without_the_preface_passes_raw() {
        let input = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
        let mut out = Vec::new();
        client_to_server(&input[..], &mut out).await.unwrap();
        assert_eq!(out, input);
    }
}
