//! Image formats: which one a buffer is, by its magic bytes, and whether it
//! is animated (Next passes animated images through untouched).

/// A format the stage decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (including APNG).
    Png,
    /// WebP (`RIFF....WEBP`).
    Webp,
    /// GIF (first frame).
    Gif,
    /// TIFF (`II*\0` or `MM\0*`; the first page).
    Tiff,
    /// AVIF (an `ftyp` box naming the `avif` or `avis` brand; the primary image).
    Avif,
}

/// A format the stage writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// JPEG through mozjpeg (sharp's `jpeg({ quality, mozjpeg: true })`).
    Jpeg,
    /// PNG.
    Png,
    /// Lossy WebP through libwebp (sharp's `webp({ quality })`).
    Webp,
    /// AVIF through rav1e (sharp's `avif({ quality, effort })`).
    Avif,
}

impl InputFormat {
    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Jpeg => "JPEG",
            InputFormat::Png => "PNG",
            InputFormat::Webp => "WebP",
            InputFormat::Gif => "GIF",
            InputFormat::Tiff => "TIFF",
            InputFormat::Avif => "AVIF",
        }
    }
}

impl OutputFormat {
    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "JPEG",
            OutputFormat::Png => "PNG",
            OutputFormat::Webp => "WebP",
            OutputFormat::Avif => "AVIF",
        }
    }

    /// Its MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
            OutputFormat::Avif => "image/avif",
        }
    }

    /// The format for a MIME type (`image/webp`, ...), if the stage writes it.
    pub fn from_mime(mime: &str) -> Option<Self> {
        match mime {
            "image/jpeg" => Some(OutputFormat::Jpeg),
            "image/png" => Some(OutputFormat::Png),
            "image/webp" => Some(OutputFormat::Webp),
            "image/avif" => Some(OutputFormat::Avif),
            _ => None,
        }
    }
}

/// The format of `bytes` by its signature, as Next's `detectContentType` reads it.
pub fn sniff(bytes: &[u8]) -> Option<InputFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(InputFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(InputFormat::Png)
    } else if bytes.starts_with(b"GIF8") {
        Some(InputFormat::Gif)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(InputFormat::Webp)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(InputFormat::Tiff)
    } else if is_avif(bytes) {
        Some(InputFormat::Avif)
    } else {
        None
    }
}

/// Whether an image has more than one frame: an APNG (`acTL` before the image
/// data), an animated WebP (the `ANIM` chunk), or a GIF with a second image.
pub fn is_animated(format: InputFormat, bytes: &[u8]) -> bool {
    match format {
        InputFormat::Png => png_has_actl(bytes),
        InputFormat::Webp => webp_is_animated(bytes),
        InputFormat::Gif => gif_frames_at_least_two(bytes),
        // Next passes AVIF through the optimizer; an image sequence gives its primary image.
        InputFormat::Jpeg | InputFormat::Tiff | InputFormat::Avif => false,
    }
}

/// An ISO-BMFF file whose `ftyp` box names `avif` or `avis` as its major brand
/// or among its compatible brands.
fn is_avif(bytes: &[u8]) -> bool {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let size = (u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize).min(bytes.len());
    let brand = |b: &[u8]| b == b"avif" || b == b"avis";
    // Major brand at 8, minor version at 12, compatible brands from 16.
    brand(&bytes[8..12]) || (16..size).step_by(4).any(|at| at + 4 <= size && brand(&bytes[at..at + 4]))
}

fn png_has_actl(bytes: &[u8]) -> bool {
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        match &bytes[at + 4..at + 8] {
            b"acTL" => return true,
            b"IDAT" | b"IEND" => return false,
            _ => {}
        }
        at = at.saturating_add(12).saturating_add(len);
    }
    false
}

fn webp_is_animated(bytes: &[u8]) -> bool {
    // A VP8X header's flags byte has the animation bit (0x02).
    bytes.len() >= 21 && &bytes[12..16] == b"VP8X" && bytes[20] & 0x02 != 0
}

fn gif_frames_at_least_two(bytes: &[u8]) -> bool {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let Ok(mut decoder) = options.read_info(bytes) else { return false };
    let mut frames = 0;
    while let Ok(Some(_)) = decoder.read_next_frame() {
        frames += 1;
        if frames > 1 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_signatures() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(InputFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(InputFormat::Png));
        assert_eq!(sniff(b"GIF89a"), Some(InputFormat::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(InputFormat::Webp));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(InputFormat::Tiff));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some(InputFormat::Tiff));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif\0\0\0\0avifmif1"), Some(InputFormat::Avif));
        assert_eq!(sniff(b"\0\0\0\x1cftypmif1\0\0\0\0mif1avif"), Some(InputFormat::Avif));
        assert_eq!(sniff(b"\0\0\0\x1cftypheic\0\0\0\0mif1heic"), None);
        assert_eq!(sniff(b"<svg"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn animated_webp_is_the_vp8x_flag() {
        let mut b = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
        b.push(0x02);
        assert!(is_animated(InputFormat::Webp, &b));
        *b.last_mut().unwrap() = 0x10;
        assert!(!is_animated(InputFormat::Webp, &b));
    }
}
