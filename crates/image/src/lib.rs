//! The image stage: what Next's image optimizer asks of sharp, in Rust.
//!
//! [`optimize`] takes an upstream image and a [`Transform`] (`w`, `q` and the
//! negotiated format of a `/_next/image` request) and does what Next's
//! `optimizeImage` does: bring it to sRGB by its ICC profile, turn it upright by its EXIF orientation,
//! resize it to the width without enlarging it, and encode it.
//!
//! - [`format`]: which format a buffer is; animated images.
//! - [`decode`]: JPEG (mozjpeg, with DCT-domain downscaling), PNG, WebP, GIF,
//!   TIFF (`tiff_decode`), AVIF (`avif_decode`, rav1d).
//! - [`icc`]: embedded ICC profiles (RGB and CMYK) applied, so output is sRGB.
//! - [`orient`]: EXIF orientation.
//! - [`resize`]: Lanczos-3 resampling.
//! - [`encode`]: JPEG (mozjpeg), WebP (libwebp), PNG; [`avif`]: AVIF (rav1e).
//!
//! Errors are [`ImageError`]s; the C codecs' failures never unwind out.

pub mod avif;
mod avif_decode;
mod avif_props;
pub mod decode;
pub mod encode;
mod error;
pub mod format;
pub mod icc;
pub mod orient;
pub mod resize;
mod tiff_decode;

pub use error::{ImageError, Result};
pub use format::{is_animated, sniff, InputFormat, OutputFormat};

/// sharp's default `limitInputPixels` (0x3FFF × 0x3FFF), which Next keeps.
pub const DEFAULT_MAX_INPUT_PIXELS: u64 = 0x3FFF * 0x3FFF;

/// What to make of an image.
#[derive(Debug, Clone)]
pub struct Transform {
    /// The wanted width; a narrower image keeps its own (no enlarging).
    pub width: u32,
    /// Quality, 1–100.
    pub quality: u8,
    /// The output format.
    pub format: OutputFormat,
    /// The largest input, in pixels, that is decoded (0: no limit).
    pub max_input_pixels: u64,
    /// JPEG output with mozjpeg's settings (Next's default), or libjpeg's
    /// baseline ones (`experimental.imgOptMozjpeg: false`).
    pub mozjpeg: bool,
}

/// An optimized image.
#[derive(Debug, Clone)]
pub struct Optimized {
    /// The encoded bytes.
    pub data: Vec<u8>,
    /// Their format.
    pub format: OutputFormat,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
}

/// Decodes `input`, turns it upright, resizes it to `t.width` (never wider than
/// it is) and encodes it as `t.format`.
///
/// A panic in a codec (a bug there, reached by a crafted file: the fuzz target
/// found one in the `png` crate's palette expansion) is an `ImageError` of the
/// stage it happened in, never an unwind out of here: the addon's caller is a
/// Node process serving other requests.
pub fn optimize(input: &[u8], t: &Transform) -> Result<Optimized> {
    if t.width == 0 || !(1..=100).contains(&t.quality) {
        return Err(ImageError::Invalid(format!("width {} and quality {} (1–100)", t.width, t.quality)));
    }
    let format = sniff(input)
        .ok_or_else(|| ImageError::Unsupported(input.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")))?;
    let failed = |stage: &str, message: String| format!("the {stage} failed on this input: {message}");
    let decoded = error::guarded(
        |m| ImageError::Decode { format: format.name(), message: failed("decoder", m) },
        || decode::decode(format, input, t.width, t.max_input_pixels),
    )?;
    let (o, p) = (decoded.orientation, decoded.pixels);
    // Sizes in the upright frame, resized in the stored one, then turned.
    let (uw, uh) = if o.swaps_axes() { (p.height, p.width) } else { (p.width, p.height) };
    let (tw, th) = if t.width >= uw { (uw, uh) } else { (t.width, resize::height_for(t.width, uw, uh)) };
    let (sw, sh) = if o.swaps_axes() { (th, tw) } else { (tw, th) };
    let p = error::guarded(|m| ImageError::Invalid(failed("resize", m)), || Ok(orient::apply(resize::resize(p, sw, sh)?, o)))?;
    let data = error::guarded(
        |m| ImageError::Encode { format: t.format.name(), message: failed("encoder", m) },
        || encode::encode(&p, t.format, t.quality, t.mozjpeg),
    )?;
    Ok(Optimized { data, format: t.format, width: p.width, height: p.height })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test picture: red across, green down; with alpha, the right half at 64.
    pub(crate) fn gradient(w: u32, h: u32, alpha: bool) -> decode::Pixels {
        let c = if alpha { 4 } else { 3 };
        let mut data = Vec::with_capacity((w * h) as usize * c);
        for y in 0..h {
            for x in 0..w {
                data.extend([(x * 255 / w) as u8, (y * 255 / h) as u8, 128]);
                if alpha {
                    data.push(if x < w / 2 { 255 } else { 64 });
                }
            }
        }
        decode::Pixels { rgbx: false, width: w, height: h, alpha, data }
    }

    fn t(width: u32, format: OutputFormat) -> Transform {
        Transform { width, quality: 75, format, max_input_pixels: DEFAULT_MAX_INPUT_PIXELS, mozjpeg: true }
    }

    #[test]
    fn every_format_round_trips_at_the_asked_width() {
        let jpeg = encode::encode(&gradient(1200, 800, false), OutputFormat::Jpeg, 90, true).unwrap();
        let png = encode::encode(&gradient(300, 200, true), OutputFormat::Png, 100, true).unwrap();
        let webp = encode::encode(&gradient(300, 200, true), OutputFormat::Webp, 90, true).unwrap();
        for (input, w, h) in [(&jpeg, 1200, 800), (&png, 300, 200), (&webp, 300, 200)] {
            for out in [OutputFormat::Jpeg, OutputFormat::Webp, OutputFormat::Png] {
                let r = optimize(input, &t(150, out)).unwrap();
                assert_eq!((r.width, r.height), (150, resize::height_for(150, w, h)), "{out:?}");
                let written = match out {
                    OutputFormat::Jpeg => InputFormat::Jpeg,
                    OutputFormat::Png => InputFormat::Png,
                    OutputFormat::Webp => InputFormat::Webp,
                    OutputFormat::Avif => unreachable!("checked in avif's tests"),
                };
                assert_eq!(sniff(&r.data), Some(written));
            }
        }
    }

    #[test]
    fn png_output_is_a_palette_keeping_translucency() {
        let png = encode::encode(&gradient(300, 200, true), OutputFormat::Png, 75, true).unwrap();
        assert_eq!(png[25], 3, "colour type 3: indexed");
        let back = decode::decode(InputFormat::Png, &png, 0, 0).unwrap().pixels;
        assert!(back.alpha);
        let alpha = |x: usize| back.data[(100 * 300 + x) * 4 + 3];
        assert!(alpha(10) > 250 && (54..=74).contains(&alpha(290)), "{} {}", alpha(10), alpha(290));
    }

    #[test]
    fn a_codec_panic_is_an_error_of_its_stage() {
        // Found by the fuzz target: a valid PNG (CRCs right) whose palette makes
        // the png crate (0.18) index out of bounds while expanding it.
        let png = include_bytes!("../testdata/png-palette-panic.png");
        let r = optimize(png, &t(1, OutputFormat::Webp));
        assert!(
            matches!(&r, Err(ImageError::Decode { format: "PNG", message }) if message.starts_with("the decoder failed on this input")),
            "{r:?}"
        );
    }

    #[test]
    fn never_enlarges() {
        let png = encode::encode(&gradient(64, 32, false), OutputFormat::Png, 100, true).unwrap();
        let r = optimize(&png, &t(3840, OutputFormat::Webp)).unwrap();
        assert_eq!((r.width, r.height), (64, 32));
    }

    #[test]
    fn jpeg_shrink_on_load_keeps_the_picture() {
        let src = gradient(1600, 1000, false);
        let jpeg = encode::encode(&src, OutputFormat::Jpeg, 95, true).unwrap();
        let r = optimize(&jpeg, &t(200, OutputFormat::Png)).unwrap();
        assert_eq!((r.width, r.height), (200, 125));
        let back = decode::decode(InputFormat::Png, &r.data, 0, 0).unwrap().pixels;
        // The horizontal ramp survives: left dark, right bright in red.
        let red = |x: usize, y: usize| back.data[(y * 200 + x) * 3];
        assert!(red(5, 60) < 20 && red(195, 60) > 235, "{} {}", red(5, 60), red(195, 60));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(optimize(b"<svg/>", &t(10, OutputFormat::Webp)), Err(ImageError::Unsupported(_))));
        assert!(matches!(optimize(b"GIF89a", &t(0, OutputFormat::Webp)), Err(ImageError::Invalid(_))));
        assert!(matches!(optimize(b"GIF89a", &t(10, OutputFormat::Webp)), Err(ImageError::Decode { format: "GIF", .. })));
        // A truncated JPEG is an error, as sharp makes it (libjpeg only warns), not a grey-padded picture.
        let jpeg = encode::encode(&gradient(100, 100, false), OutputFormat::Jpeg, 80, true).unwrap();
        let r = optimize(&jpeg[..jpeg.len() / 3], &t(50, OutputFormat::Webp));
        assert!(matches!(&r, Err(ImageError::Decode { format: "JPEG", message }) if message.contains("truncated")), "{r:?}");
        assert!(optimize(&jpeg, &t(50, OutputFormat::Webp)).is_ok(), "the whole file still decodes");
    }
}
