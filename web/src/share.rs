//! Share links: the whole view (scenario text, era, trace cursor) in the URL hash, so a link
//! reproduces it with no server.
//!
//! Format: `#s1.` followed by base64url (no padding) of the raw-DEFLATE compression of
//! `ERA \n CURSOR \n TEXT`. Links come from strangers, so decoding is defensive: the hash
//! and the inflated text are capped ([`MAX_HASH`], [`MAX_TEXT`]) before any allocation
//! grows past them, every failure is a [`ShareError`] with a sentence for the user, and
//! nothing decoded is ever treated as HTML (the UI shows it as text only).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use iommu_engine::Era;
use std::fmt;

/// The prefix of a version-1 share hash (without the `#`).
pub const PREFIX: &str = "s1.";
/// The longest hash accepted, in characters (a 256 KiB scenario compresses far below this).
pub const MAX_HASH: usize = 128 * 1024;
/// The largest inflated payload accepted: the scenario text plus its two header lines.
pub const MAX_TEXT: usize = 256 * 1024;

/// The prefix of a version-2 share hash: version 1 plus a line of view flags
/// (`ERA \n CURSOR \n FLAGS \n TEXT`, flags comma-separated: `compare`). Written only when
/// a flag is set, so a plain view's link stays a version-1 link; both are read.
pub const PREFIX_V2: &str = "s2.";

/// The whole view a link restores: what [`Shared`] carries and the open panels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedView {
    pub shared: Shared,
    /// The compare view is open.
    pub compare: bool,
}

/// The "Import your machine" panel as a link reopens it. In a version-2 link: the flags
/// `import=BITS` (the what-if toggles in the panel's order, `1` on; empty: not imported)
/// and `paste=LEN`, and the pasted text's LEN bytes just before the scenario text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportView {
    pub paste: String,
    pub toggles: String,
}

/// The hash (without `#`) for `view`: version 1 unless a panel flag is set.
pub fn encode_view(view: &SharedView) -> String {
    encode_with_import(view, None)
}

/// [`encode_view`] with the import panel open (`import`): a version-2 link.
pub fn encode_with_import(view: &SharedView, import: Option<&ImportView>) -> String {
    let (prefix, payload) = payload_with_import(view, import);
    finish(
        prefix,
        &miniz_oxide::deflate::compress_to_vec(payload.as_bytes(), 9),
    )
}

/// [`encode_with_import`] by the browser's own DEFLATE (`CompressionStream("deflate-raw")`,
/// Chrome 103+, Firefox 113+, Safari 16.4+), so the bundle carries no compressor (BENCHMARKS.md
/// "Bundle size": miniz_oxide's deflate was 8,533 B of it gzipped). The same format: a
/// link made either way is read by [`decode_with_import`]. Off wasm32 (and where the
/// browser has no `CompressionStream`), [`encode_with_import`]'s miniz_oxide.
pub async fn encode_with_import_async(view: &SharedView, import: Option<&ImportView>) -> String {
    let (prefix, payload) = payload_with_import(view, import);
    finish(prefix, &deflate_raw(payload.as_bytes()).await)
}

/// [`encode`] by the browser's DEFLATE ([`encode_with_import_async`]).
pub async fn encode_async(shared: &Shared) -> String {
    finish(PREFIX, &deflate_raw(payload(shared).as_bytes()).await)
}

/// The link's prefix and the payload it deflates: version 1 unless a panel flag is set.
fn payload_with_import(view: &SharedView, import: Option<&ImportView>) -> (&'static str, String) {
    if !view.compare && import.is_none() {
        return (PREFIX, payload(&view.shared));
    }
    let s = &view.shared;
    let mut flags: Vec<String> = Vec::new();
    if view.compare {
        flags.push("compare".into());
    }
    let paste = match import {
        Some(i) => {
            flags.push(format!("import={}", i.toggles));
            flags.push(format!("paste={}", i.paste.len()));
            i.paste.as_str()
        }
        None => "",
    };
    let payload = format!(
        "{}\n{}\n{}\n{paste}{}",
        s.era.name(),
        s.cursor,
        flags.join(","),
        s.text
    );
    (PREFIX_V2, payload)
}

/// A version-1 payload: `ERA \n CURSOR \n TEXT`.
fn payload(shared: &Shared) -> String {
    format!("{}\n{}\n{}", shared.era.name(), shared.cursor, shared.text)
}

/// The hash: the prefix and the deflated payload in base64url.
fn finish(prefix: &str, deflated: &[u8]) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(deflated))
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The browser's `CompressionStream` (web-sys has it only behind its unstable APIs;
    /// a global binding needs no `inline_js` snippet, see `worker::beside_bundle`).
    type CompressionStream;
    #[wasm_bindgen::prelude::wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<CompressionStream, wasm_bindgen::JsValue>;
    #[wasm_bindgen::prelude::wasm_bindgen(method, getter)]
    fn readable(this: &CompressionStream) -> web_sys::ReadableStream;
    #[wasm_bindgen::prelude::wasm_bindgen(method, getter)]
    fn writable(this: &CompressionStream) -> web_sys::WritableStream;
}

/// Raw DEFLATE of `bytes` by the browser: a `Blob` of them piped through a
/// `CompressionStream("deflate-raw")` and read back whole; `None` where it cannot.
#[cfg(target_arch = "wasm32")]
async fn browser_deflate_raw(bytes: &[u8]) -> Option<Vec<u8>> {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).ok()?;
    let cs = CompressionStream::new("deflate-raw").ok()?;
    let pair = web_sys::ReadableWritablePair::new(&cs.readable(), &cs.writable());
    let stream = blob.stream().pipe_through(&pair);
    let response = web_sys::Response::new_with_opt_readable_stream(Some(&stream)).ok()?;
    let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer().ok()?)
        .await
        .ok()?;
    Some(js_sys::Uint8Array::new(buffer.unchecked_ref()).to_vec())
}

/// Raw DEFLATE of `bytes`: the browser's on wasm32 (stored blocks where it has no
/// `CompressionStream`), miniz_oxide's elsewhere.
async fn deflate_raw(bytes: &[u8]) -> Vec<u8> {
    #[cfg(target_arch = "wasm32")]
    {
        match browser_deflate_raw(bytes).await {
            Some(z) => z,
            None => stored(bytes),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        miniz_oxide::deflate::compress_to_vec(bytes, 9)
    }
}

/// `bytes` as raw DEFLATE of stored (uncompressed) blocks (RFC 1951 section 3.2.4: a header
/// byte with BFINAL and BTYPE = 00, then LEN and its one's complement NLEN, little-endian,
/// then up to 65,535 bytes): a valid link for a browser that cannot compress, longer but
/// read like any other, without a compressor in the bundle.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn stored(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 5 * (bytes.len() / 65_535 + 1));
    let mut chunks = bytes.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        return vec![1, 0, 0, 0xff, 0xff];
    }
    while let Some(c) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out
}

/// Reads a hash of either version (with or without the leading `#`).
pub fn decode_view(hash: &str) -> Result<SharedView, ShareError> {
    decode_with_import(hash).map(|(v, _)| v)
}

/// [`decode_view`] and the import panel the link opens, if any.
pub fn decode_with_import(hash: &str) -> Result<(SharedView, Option<ImportView>), ShareError> {
    let bare = hash.strip_prefix('#').unwrap_or(hash);
    let Some(body) = bare.strip_prefix(PREFIX_V2) else {
        let shared = decode(hash)?;
        let compare = false;
        return Ok((SharedView { shared, compare }, None));
    };
    let payload = inflate(bare, body)?;
    let mut parts = payload.splitn(4, '\n');
    let (era, cursor) = header(&mut parts)?;
    let flags = parts.next().ok_or(ShareError::BadHeader)?;
    let rest = parts.next().ok_or(ShareError::BadHeader)?;
    let flag = |name: &str| {
        flags
            .split(',')
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
    };
    let (import, text) = match (flag("import"), flag("paste")) {
        (Some(bits), Some(len)) => {
            let len: usize = len.parse().map_err(|_| ShareError::BadHeader)?;
            let (paste, text) = match (rest.get(..len), rest.get(len..)) {
                (Some(p), Some(t)) => (p, t),
                _ => return Err(ShareError::BadHeader),
            };
            let toggles = bits.chars().filter(|c| matches!(c, '0' | '1')).collect();
            let paste = paste.to_string();
            (Some(ImportView { paste, toggles }), text)
        }
        _ => (None, rest),
    };
    let shared = Shared {
        text: text.to_string(),
        era,
        cursor,
    };
    let compare = flags.split(',').any(|f| f == "compare");
    Ok((SharedView { shared, compare }, import))
}

/// What a share link carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shared {
    pub text: String,
    pub era: Era,
    pub cursor: usize,
}

/// Why a link could not be opened; `Display` is the sentence the UI shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareError {
    /// Not a share hash at all (another anchor): not an error worth showing.
    NotShared,
    TooLong {
        len: usize,
    },
    BadEncoding,
    Corrupt,
    TooLarge,
    BadHeader,
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareError::NotShared => f.write_str("this link holds no shared scenario"),
            ShareError::TooLong { len } => write!(
                f,
                "this share link is too long ({len} characters; at most {MAX_HASH}): it was not opened"
            ),
            ShareError::BadEncoding => {
                f.write_str("this share link is damaged (not base64url): it was not opened")
            }
            ShareError::Corrupt => {
                f.write_str("this share link is damaged (it does not inflate): it was not opened")
            }
            ShareError::TooLarge => write!(
                f,
                "this share link holds more than {} KiB of scenario: it was not opened",
                MAX_TEXT / 1024
            ),
            ShareError::BadHeader => {
                f.write_str("this share link is damaged (no era or cursor): it was not opened")
            }
        }
    }
}

impl std::error::Error for ShareError {}

/// The hash (without `#`) for `shared`.
pub fn encode(shared: &Shared) -> String {
    finish(
        PREFIX,
        &miniz_oxide::deflate::compress_to_vec(payload(shared).as_bytes(), 9),
    )
}

/// Reads a hash (with or without the leading `#`); a version-2 hash gives its
/// [`Shared`] part.
pub fn decode(hash: &str) -> Result<Shared, ShareError> {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    if hash.starts_with(PREFIX_V2) {
        return decode_view(hash).map(|v| v.shared);
    }
    let body = hash.strip_prefix(PREFIX).ok_or(ShareError::NotShared)?;
    let payload = inflate(hash, body)?;
    let mut parts = payload.splitn(3, '\n');
    let (era, cursor) = header(&mut parts)?;
    let text = parts.next().ok_or(ShareError::BadHeader)?.to_string();
    Ok(Shared { text, era, cursor })
}

/// The payload of `hash` (its `body` after the prefix), within the caps.
fn inflate(hash: &str, body: &str) -> Result<String, ShareError> {
    if hash.len() > MAX_HASH {
        return Err(ShareError::TooLong { len: hash.len() });
    }
    let deflated = URL_SAFE_NO_PAD
        .decode(body.trim_end_matches('='))
        .map_err(|_| ShareError::BadEncoding)?;
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_TEXT).map_err(
        |e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ShareError::TooLarge,
            _ => ShareError::Corrupt,
        },
    )?;
    String::from_utf8(bytes).map_err(|_| ShareError::Corrupt)
}

/// The era and cursor lines.
fn header<'a>(parts: &mut impl Iterator<Item = &'a str>) -> Result<(Era, usize), ShareError> {
    let era = parts
        .next()
        .and_then(Era::parse)
        .ok_or(ShareError::BadHeader)?;
    let cursor = parts
        .next()
        .and_then(|c| c.parse::<usize>().ok())
        .ok_or(ShareError::BadHeader)?;
    Ok((era, cursor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_blocks_inflate_to_the_same_bytes() {
        for n in [0usize, 1, 65_534, 65_535, 65_536, 200_000] {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            let z = stored(&bytes);
            assert_eq!(z.len(), n + 5 * n.div_ceil(65_535).max(1), "{n} bytes");
            assert_eq!(
                miniz_oxide::inflate::decompress_to_vec(&z).ok().as_deref(),
                Some(&bytes[..]),
                "{n} bytes"
            );
        }
        // A link of stored blocks opens like any other.
        let s = Shared {
            text: "iommu dmar0\n".into(),
            era: Era::Shared,
            cursor: 2,
        };
        assert_eq!(
            decode(&finish(PREFIX, &stored(payload(&s).as_bytes()))),
            Ok(s)
        );
    }

    #[test]
    fn the_async_encoder_writes_the_same_links_off_wasm() {
        let v = SharedView {
            shared: Shared {
                text: "iommu dmar0\n".into(),
                era: Era::Current,
                cursor: 1,
            },
            compare: true,
        };
        let i = ImportView {
            paste: "IOMMU Group 0:\n".into(),
            toggles: "10000".into(),
        };
        let a = block_on(encode_with_import_async(&v, Some(&i)));
        assert_eq!(a, encode_with_import(&v, Some(&i)));
        assert_eq!(block_on(encode_async(&v.shared)), encode(&v.shared));
    }

    /// Polls a future that never waits (the native encoders) to its end.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("the native encoder waited"),
        }
    }

    #[test]
    fn round_trips_text_era_and_cursor() {
        let s = Shared {
            text: "# hi\niommu dmar0\npci 00:01.0 rp # ünïcode\n".into(),
            era: Era::V5_19,
            cursor: 7,
        };
        let h = encode(&s);
        assert!(h.starts_with(PREFIX));
        assert_eq!(decode(&h), Ok(s.clone()));
        assert_eq!(decode(&format!("#{h}")), Ok(s));
    }

    #[test]
    fn hostile_hashes_are_refused_with_a_reason() {
        assert_eq!(decode("#section-2"), Err(ShareError::NotShared));
        assert_eq!(decode("#s1.!!!"), Err(ShareError::BadEncoding));
        assert_eq!(decode("#s1.AAAA"), Err(ShareError::Corrupt));
        let long = format!("s1.{}", "A".repeat(MAX_HASH));
        assert!(matches!(decode(&long), Err(ShareError::TooLong { .. })));
        // A deflate bomb: 4 MiB of zeros compresses to a few KiB.
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b'0'; 4 << 20], 9);
        let hash = format!("s1.{}", URL_SAFE_NO_PAD.encode(bomb));
        assert!(hash.len() < MAX_HASH);
        assert_eq!(decode(&hash), Err(ShareError::TooLarge));
        let no_era = miniz_oxide::deflate::compress_to_vec(b"v9\n0\ntext", 9);
        let hash = format!("s1.{}", URL_SAFE_NO_PAD.encode(no_era));
        assert_eq!(decode(&hash), Err(ShareError::BadHeader));
    }

    #[test]
    fn a_view_with_compare_round_trips_and_old_links_still_open() {
        let shared = Shared {
            text: "iommu dmar0\n".into(),
            era: Era::Legacy,
            cursor: 2,
        };
        let v = SharedView {
            shared: shared.clone(),
            compare: true,
        };
        let h = encode_view(&v);
        assert!(h.starts_with(PREFIX_V2));
        assert_eq!(decode_view(&h), Ok(v));
        assert_eq!(decode(&h), Ok(shared.clone()));
        // A version-1 link (as every link before) opens with compare closed.
        let old = encode(&shared);
        assert!(old.starts_with(PREFIX));
        let plain = SharedView {
            shared,
            compare: false,
        };
        assert_eq!(decode_view(&old), Ok(plain.clone()));
        assert_eq!(encode_view(&plain), old);
    }

    #[test]
    fn a_view_with_the_import_panel_round_trips_its_paste_and_toggles() {
        let shared = Shared {
            text: "iommu dmar0\n".into(),
            era: Era::Legacy,
            cursor: 1,
        };
        for (compare, paste, toggles) in [
            (false, "IOMMU Group 1:\n\t00:01.0 ü\n", "10010"),
            (true, "", ""),
        ] {
            let v = SharedView {
                shared: shared.clone(),
                compare,
            };
            let import = ImportView {
                paste: paste.into(),
                toggles: toggles.into(),
            };
            let h = encode_with_import(&v, Some(&import));
            assert!(h.starts_with(PREFIX_V2));
            assert_eq!(decode_with_import(&h), Ok((v.clone(), Some(import))));
            assert_eq!(decode_view(&h), Ok(v));
            assert_eq!(decode(&h), Ok(shared.clone()));
        }
        // A length past the payload or inside a character is a damaged link.
        for bad in [
            "v5.19\n0\nimport=1,paste=99\nab",
            "v5.19\n0\nimport=,paste=1\nü",
        ] {
            let z = miniz_oxide::deflate::compress_to_vec(bad.as_bytes(), 9);
            let h = format!("{PREFIX_V2}{}", URL_SAFE_NO_PAD.encode(z));
            assert_eq!(decode_with_import(&h), Err(ShareError::BadHeader));
        }
    }
}
